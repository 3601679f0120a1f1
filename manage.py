#!/usr/bin/env python3
"""Unidesk's command line.

`python3 manage.py up` runs Unidesk; `python3 manage.py test` runs the test suite.
Run with any Python 3.11: the first call creates `.venv`, installs `requirements.txt`
into it and re-runs itself there (see `desk/bootstrap.py`).
"""

import os
import sys


def main() -> None:
    from desk.bootstrap import ensure_virtualenv

    ensure_virtualenv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
