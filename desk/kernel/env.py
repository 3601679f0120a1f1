"""Typed readers for settings that come from environment variables (house rule 10)."""

import os
import secrets
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """An environment variable holds a value that cannot be used."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key(path: Path) -> str:
    """`SECRET_KEY` from the environment, else one generated once and kept in an untracked file."""
    given = os.environ.get("SECRET_KEY")
    if given:
        return given
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written `count/seconds` (`20/10`: 20 per 10 s); a count of 0 turns it off."""
    raw = os.environ.get(name, default).strip()
    count, slash, seconds = raw.partition("/")
    try:
        parsed = (int(count), int(seconds))
    except ValueError:
        parsed = None
    if not slash or parsed is None or parsed[0] < 0 or parsed[1] <= 0:
        raise ConfigError(f"{name} must be `count/seconds` like 20/10, got {raw!r}")
    return parsed
