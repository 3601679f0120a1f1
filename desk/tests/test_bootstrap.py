"""`manage.py` installs requirements once and reuses the environment afterwards."""

import subprocess

from desk import bootstrap


def test_requirements_install_only_when_the_file_changes(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("django\n")
    monkeypatch.setattr(bootstrap, "REQUIREMENTS", requirements)
    monkeypatch.setattr(bootstrap, "STAMP", tmp_path / "stamp")
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda argv: calls.append(argv))

    bootstrap._install_requirements(tmp_path / "python")
    first = len(calls)
    bootstrap._install_requirements(tmp_path / "python")
    assert first == 2 and len(calls) == 2  # second run: nothing installed

    requirements.write_text("django\ncelery\n")
    bootstrap._install_requirements(tmp_path / "python")
    assert len(calls) == 4
    assert calls[-1][-3:] == ["-r", str(requirements), "-q"]


def test_no_bootstrap_variable_skips_everything(monkeypatch):
    monkeypatch.setenv("UNIDESK_NO_BOOTSTRAP", "1")
    monkeypatch.setattr(bootstrap, "_venv_python", lambda: (_ for _ in ()).throw(AssertionError))
    bootstrap.ensure_virtualenv()
