"""Settings come from the environment; production variables give a clean `check --deploy`."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from desk.kernel import env


def test_env_bool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env.env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env.env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env.env_bool("FLAG", True) is True


def test_env_bool_and_int_refuse_garbage(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(env.ConfigError, match="FLAG must be a boolean"):
        env.env_bool("FLAG")
    monkeypatch.setenv("NUM", "ten")
    with pytest.raises(env.ConfigError, match="NUM must be an integer"):
        env.env_int("NUM", 1)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example.com, ,b.example.com ")
    assert env.env_list("HOSTS") == ["a.example.com", "b.example.com"]


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"
    first = env.secret_key(path)
    assert len(first) >= 50
    assert env.secret_key(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("SECRET_KEY", "given")
    assert env.secret_key(path) == "given"


def _manage(args, extra_env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_HTTPS", "SECRET_KEY"}
    }
    environment.update({"UNIDESK_NO_BOOTSTRAP": "1", **extra_env})
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = _manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "SECRET_KEY": secrets.token_urlsafe(60),
            "SECURE_HTTPS": "1",
            "ALLOWED_HOSTS": "desk.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://desk.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_https():
    result = _manage(["check", "--deploy"], {"SECRET_KEY": secrets.token_urlsafe(60)})
    assert "security.W008" in result.stdout + result.stderr  # SECURE_SSL_REDIRECT off


def test_debug_is_off_unless_asked():
    assert settings.DEBUG is False
