"""Secrets at rest: AES-256-GCM under a key file in ``<data>/auth/``, and their redaction.

The key (32 random bytes, hex, mode 0600) is created on first use, independent of the password
flow, so a desktop user without a password gets encryption too. A stored secret is the text
``ivB64:tagB64:dataB64`` (a 12-byte IV, the 16-byte GCM tag and the ciphertext), as Privatefolio
stores its encrypted values. Plain text exists only in memory, for as long as a sync needs it.
"""

import base64
import os
from collections.abc import Iterable
from pathlib import Path

from privatefolio_daemon.domain.errors import InvalidInputError

KEY_FILE_NAME = "secrets.key"
IV_BYTES = 12
TAG_BYTES = 16
REDACTED = "***"


class SecretBox:
    """Encrypts and decrypts short strings with the data dir's secrets key."""

    def __init__(self, auth_dir: Path) -> None:
        self.key_file = auth_dir / KEY_FILE_NAME
        self._key: bytes | None = None

    def encrypt(self, plaintext: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        iv = os.urandom(IV_BYTES)
        sealed = AESGCM(self._secret_key()).encrypt(iv, plaintext.encode(), None)
        data, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
        return ":".join(base64.b64encode(part).decode() for part in (iv, tag, data))

    def decrypt(self, stored: str) -> str:
        """The plain text of ``stored``; a damaged value or another key raises, without it."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            iv, tag, data = (base64.b64decode(part, validate=True) for part in stored.split(":"))
            return AESGCM(self._secret_key()).decrypt(iv, data + tag, None).decode()
        except (ValueError, InvalidTag):
            raise InvalidInputError(
                "A stored secret cannot be decrypted (damaged, or encrypted with another key "
                f"than {self.key_file}). Enter it again."
            ) from None

    def _secret_key(self) -> bytes:
        if self._key is None:
            self._key = _read_or_create_key(self.key_file)
        return self._key


def _read_or_create_key(path: Path) -> bytes:
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return bytes.fromhex(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key.hex())
    return key


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***`` (longest first)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def mask(secret: str) -> str:
    """What the user may see of an API key: its first and last 4 characters when it is long."""
    return f"{secret[:4]}…{secret[-4:]}" if len(secret) >= 16 else "…"
