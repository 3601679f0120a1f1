"""Channel accounts' secrets, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key is `CHANNEL_SECRETS_KEY` (Fernet keys, comma-separated: the first encrypts, every one
decrypts, so a key can be rotated by putting the new one first), else one derived from
`SECRET_KEY` (SHA-256 of it under a fixed label): a deployment works without configuring one, and
changing SECRET_KEY then means entering the accounts' tokens again.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_LABEL = b"unidesk.channel-secrets.v1:"


class SecretsUnreadable(ValueError):
    """Stored secrets no configured key opens (SECRET_KEY or CHANNEL_SECRETS_KEY changed)."""


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.CHANNEL_SECRETS_KEY.split(",") if key.strip()]
    fernets = [Fernet(key.encode()) for key in keys]
    derived = base64.urlsafe_b64encode(
        hashlib.sha256(_LABEL + settings.SECRET_KEY.encode()).digest()
    )
    fernets.append(Fernet(derived))
    return MultiFernet(fernets)


def secrets_encrypt(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def secrets_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise SecretsUnreadable("The channel account's secrets cannot be decrypted.") from exc


def mask(value: str) -> str:
    """What the admin shows of a secret after it was saved: its ends, never the middle."""
    if not value:
        return ""
    if len(value) <= 8:
        return "•" * len(value)
    return f"{value[:4]}…{value[-4:]}"
