"""`manage.py up`: run Unidesk with everything it needs, on one terminal; Ctrl-C stops it all."""

import os
import select
import signal
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk import demo
from desk.launcher import Supervisor, manage, redis_env
from desk.management.commands.compile_translations import compile_translations


class Command(BaseCommand):
    help = "Migrate, load demo data and run daphne, a Celery worker and Celery beat."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("UNIDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("UNIDESK_PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument(
            "--show-logs",
            action="store_true",
            help="Print access and Celery logs here instead of into var/log/.",
        )

    def handle(self, *args, host, port, no_demo, show_logs, **options):
        compile_translations()
        (settings.VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
        base = {
            # Keep database connections between requests and socket frames, and serve the
            # collected, pre-compressed static files (the widget goes out gzipped).
            "DB_CONN_MAX_AGE": "60",
            "WHITENOISE_USE_FINDERS": "0",
            **os.environ,
        }
        with redis_env(base, echo=self.stdout.write) as env:
            manage("migrate", "--noinput", "-v", "0", env=env)
            manage("collectstatic", "--noinput", "-v", "0", env=env)
            if not no_demo:
                manage("load_demo", env=env)
            self._run(env, host, port, with_demo=not no_demo, show_logs=show_logs)

    def _run(self, env, host, port, with_demo, show_logs):
        python = sys.executable
        beat_schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        # The addresses box stays on screen: per-request and per-task lines go to files unless
        # --show-logs (warnings and errors still reach the terminal).
        log_dir = settings.VAR_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        access_log = [] if show_logs else ["--access-log", str(log_dir / "access.log")]
        worker_log = [] if show_logs else ["--logfile", str(log_dir / "worker.log")]
        beat_log = [] if show_logs else ["--logfile", str(log_dir / "beat.log")]
        quiet = [] if show_logs else ["--quiet"]  # no Celery start-up banners after the box
        supervisor = Supervisor()
        stop = {"asked": False}

        def ask_stop(signum, frame):
            stop["asked"] = True

        signal.signal(signal.SIGINT, ask_stop)
        signal.signal(signal.SIGTERM, ask_stop)
        try:
            supervisor.start(
                "daphne",
                [python, "-m", "desk.server", "-b", host, "-p", str(port), *access_log,
                 "desk.asgi:application"],
                env,
            )  # fmt: skip
            supervisor.start(
                "worker",
                [python, "-m", "celery", "-A", "desk.celery", *quiet, "worker", "-l", "info",
                 "--concurrency", "2", *worker_log],
                env,
            )  # fmt: skip
            supervisor.start(
                "beat",
                [python, "-m", "celery", "-A", "desk.celery", *quiet, "beat", "-l", "info",
                 "-s", beat_schedule, *beat_log],
                env,
            )  # fmt: skip
            base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
            if not supervisor.wait_http(f"{base}/healthz"):
                raise CommandError(f"Unidesk did not come up: {supervisor.first_exit()}")
            banner = self._banner(base, with_demo, None if show_logs else log_dir)
            self.stdout.write(banner, self.style.SUCCESS)
            keys = _Keys()
            while not stop["asked"]:
                exited = supervisor.first_exit()
                if exited:
                    raise CommandError(f"{exited[0]} stopped (exit code {exited[1]})")
                if keys.enter_pressed(timeout=0.5):
                    self.stdout.write(banner, self.style.SUCCESS)
            self.stdout.write("\nStopping Unidesk …")
        finally:
            supervisor.stop_all()

    def _banner(self, base, with_demo, log_dir) -> str:
        lines = [
            "",
            "Unidesk is running  ·  Unidesk 已启动",
            f"  Agent workspace  坐席工作台   {base}/desk/",
            f"  Admin            管理后台     {base}/admin/",
            f"  API docs         接口文档     {base}/api/docs/",
            f"  Widget demo      挂件演示页   {base}/demo/",
            f"  Health check     健康检查     {base}/healthz",
        ]
        if log_dir is not None:
            lines.append(f"Logs  日志   {log_dir}/  access.log, worker.log, beat.log")
        if with_demo:
            lines.append(f"Demo logins  演示账号 (password 密码: {demo.DEMO_PASSWORD})")
            for account in demo.ACCOUNTS:
                role = "supervisor 主管" if account.supervisor else "agent 坐席"
                lines.append(f"  {account.username:<12} {role:<16} {account.team}")
        lines.append(
            "Press Ctrl-C to stop, Enter to show this again.  按 Ctrl-C 停止，按回车键再次显示。"
        )
        return "\n".join(lines)


class _Keys:
    """Enter on the terminal (a line on stdin); stops watching at end of input."""

    def __init__(self) -> None:
        self.stdin = sys.stdin if sys.stdin is not None and os.name == "posix" else None

    def enter_pressed(self, timeout: float) -> bool:
        if self.stdin is None:
            time.sleep(timeout)
            return False
        try:
            ready, _, _ = select.select([self.stdin], [], [], timeout)
            if not ready:
                return False
            if self.stdin.readline():
                return True
        except (OSError, ValueError):  # closed or not selectable
            pass
        self.stdin = None  # end of input (e.g. < /dev/null): nothing more to watch
        return False
