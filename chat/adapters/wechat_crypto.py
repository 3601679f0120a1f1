"""WeChat's message encryption ("安全模式", docs/channels.md): AES-256-CBC under the account's
EncodingAESKey, PKCS#7 padding to 32 bytes, plaintext = 16 random bytes + 4-byte big-endian
length + message + AppID; `msg_signature` = SHA-1 of the sorted token, timestamp, nonce and the
ciphertext. Plaintext mode's `signature` is the same without the ciphertext."""

import base64
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CryptoError(ValueError):
    """The ciphertext, the key or the AppID inside do not fit."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)


def signature_ok(expected_parts: tuple[str, ...], given: str) -> bool:
    expected = signature(*expected_parts).encode()
    return hmac.compare_digest(expected, given.encode("utf-8", "replace"))


def aes_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError as exc:
        raise CryptoError("the EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CryptoError("the EncodingAESKey must be 43 characters (32 bytes)")
    return key


def decrypt(encoding_aes_key: str, encrypted: str, app_id: str) -> bytes:
    key = aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
    except ValueError as exc:
        raise CryptoError("the ciphertext is not base64") from exc
    if not data or len(data) % 16:
        raise CryptoError("the ciphertext's length is not a whole number of blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad padding")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise CryptoError("too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, found_app_id = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not hmac.compare_digest(found_app_id, app_id.encode()):
        raise CryptoError("the AppID inside is not this account's")
    return message


def encrypt(encoding_aes_key: str, message: bytes, app_id: str) -> str:
    key = aes_key(encoding_aes_key)
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
