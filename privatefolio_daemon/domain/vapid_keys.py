"""The daemon's web-push identity (VAPID, RFC 8292): a P-256 key pair in ``<data>/auth/``.

``.vapid_public`` holds the public key as browsers take it for ``applicationServerKey`` (the
65-byte uncompressed point, base64url without padding), and ``.vapid_private`` the private
scalar (32 bytes, base64url, mode 0600). Both are made on first use and kept: a device
subscribed under one key cannot be reached with another.
"""

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from privatefolio_daemon.domain.errors import InvalidInputError

PUBLIC_FILE = ".vapid_public"
PRIVATE_FILE = ".vapid_private"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class VapidKeys:
    public_key: str
    private_key: str
    """The private scalar, base64url: what ``py_vapid.Vapid02.from_raw`` reads."""


def read_or_create_vapid_keys(auth_dir: Path) -> VapidKeys:
    public_path, private_path = auth_dir / PUBLIC_FILE, auth_dir / PRIVATE_FILE
    if private_path.is_file():
        return _read(private_path, public_path)
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    public = b64url(_point(key.public_key()))
    auth_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(private)
    public_path.write_text(public, encoding="utf-8")
    return VapidKeys(public, private)


def _read(private_path: Path, public_path: Path) -> VapidKeys:
    private = private_path.read_text(encoding="utf-8").strip()
    try:
        scalar = int.from_bytes(b64url_decode(private), "big")
        key = ec.derive_private_key(scalar, ec.SECP256R1())
    except ValueError:
        raise InvalidInputError(
            f"The web-push key in {private_path} is damaged. Delete {private_path.name} and "
            f"{public_path.name} to make new ones; every device then subscribes again."
        ) from None
    public = b64url(_point(key.public_key()))
    if not public_path.is_file() or public_path.read_text(encoding="utf-8").strip() != public:
        public_path.write_text(public, encoding="utf-8")
    return VapidKeys(public, private)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
