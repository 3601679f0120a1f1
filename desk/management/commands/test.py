"""`manage.py test [pytest args]`: the whole suite, against real Redis and the configured database.

Without REDIS_URL an embedded Redis is started for the run; without DATABASE_URL the tests use
SQLite. Browser tests need Debian's chromium: when it is missing and we are root, it is installed
with apt first. Arguments are handed to pytest unchanged (`manage.py test -k presence -x`).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from desk.launcher import ROOT, redis_env
from desk.management.commands.compile_translations import compile_translations

# Debian packages the browser tests need, and a file each one installs.
BROWSER_PACKAGES = {
    "chromium": Path("/usr/bin/chromium"),
    "fonts-wqy-zenhei": Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Chinese glyphs
}


def ensure_chromium(echo=print) -> None:
    missing = [name for name, path in BROWSER_PACKAGES.items() if not path.exists()]
    if not missing or os.environ.get("UNIDESK_SKIP_BROWSER_INSTALL") == "1":
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        echo(f"{', '.join(missing)} missing and not installable here: browser tests may skip.")
        return
    echo(f"Installing {', '.join(missing)} for the browser tests …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, env=env)


class Command(BaseCommand):
    help = "Run the whole test suite with pytest (arguments go to pytest)."

    def run_from_argv(self, argv):
        sys.exit(self.run_tests(argv[2:]))

    def run_tests(self, pytest_args: list[str]) -> int:
        compile_translations()
        ensure_chromium(self.stdout.write)
        base = {
            **os.environ,
            "UNIDESK_NO_BOOTSTRAP": "1",
            "DJANGO_SETTINGS_MODULE": "desk.settings",
        }
        base.setdefault("REDIS_PREFIX", f"unidesk-test-{os.getpid()}")
        with redis_env(base, echo=self.stdout.write) as env:
            database = env.get("DATABASE_URL", "").split("@")[-1] or "SQLite (var/)"
            self.stdout.write(f"Database: {database}  ·  Redis: {env['REDIS_URL']}")
            return subprocess.call(
                [sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env
            )

    def handle(self, *args, **options):  # pragma: no cover - run_from_argv is the entry point
        sys.exit(self.run_tests([]))
