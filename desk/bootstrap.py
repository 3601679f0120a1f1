"""Create and reuse the project's virtual environment. Standard library only.

`manage.py` calls `ensure_virtualenv()` before importing Django: outside `.venv` it creates the
environment (once), installs `requirements.txt` when the file changed since the last install, and
re-executes the same command with the environment's interpreter.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("UNIDESK_VENV", ROOT / ".venv"))
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _inside_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _install_requirements(python: Path) -> None:
    digest = _requirements_digest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    print("Unidesk: installing requirements.txt into .venv …", flush=True)
    subprocess.check_call([str(python), "-m", "pip", "install", "--upgrade", "pip", "-q"])
    subprocess.check_call([str(python), "-m", "pip", "install", "-r", str(REQUIREMENTS), "-q"])
    STAMP.write_text(digest)


def ensure_virtualenv() -> None:
    if os.environ.get("UNIDESK_NO_BOOTSTRAP") == "1":
        return
    python = _venv_python()
    if not python.exists():
        print(f"Unidesk: creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    _install_requirements(python)
    if not _inside_venv():
        os.execv(str(python), [str(python), *sys.argv])  # noqa: S606
