"""Who may talk to the daemon: the desktop token, or a JWT from the password flow.

The desktop token is 32 random bytes (hex) in ``<data>/auth/token``, readable only by the user
that runs the daemon, so a local Electron shell reads it. The password flow stores a scrypt hash
and a JWT secret beside it, in the same files as the Privatefolio backend. Each file is written
whole or not at all (a temporary file, synced, then renamed over it).
"""

import asyncio
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from privatefolio_daemon.config import ConfigError
from privatefolio_daemon.domain.errors import ConflictError, InvalidInputError

log = logging.getLogger(__name__)

_SCRYPT = {"n": 16384, "r": 8, "p": 1, "dklen": 64}

#: scrypt takes ~50 ms of CPU and 16 MiB: a flood of logins hashes one at a time here, and leaves
#: the default thread pool (``asyncio.to_thread``) to the rest of the daemon.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash")

#: What the daemon writes: 32 random bytes in lowercase hex (an editor's final newline aside).
_TOKEN = re.compile(rb"[0-9a-f]{64}")


class TokenFileError(ConfigError):
    """The token file cannot be read or written; the message names it and says what to do."""


class DamagedTokenError(TokenFileError):
    """The token file holds no token the daemon wrote: a crash before it was flushed leaves NULs,
    and no client could have used another one."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The desktop token file {path} is damaged: it does not hold the 64 hex digits the "
            "daemon writes. Start the daemon on this data dir (or restart it): it replaces a "
            "damaged token with a new one."
        )


class Credentials:
    def __init__(self, auth_dir: Path, *, jwt_lifetime_days: int, password_min_length: int) -> None:
        self.auth_dir = auth_dir
        self._jwt_lifetime_seconds = jwt_lifetime_days * 86_400
        self._password_min_length = password_min_length
        self._token: str | None = None
        #: Setup checks, hashes and writes under this lock: of concurrent setups, one wins.
        self._setup_lock = asyncio.Lock()
        #: The OS user the daemon runs as: the one who may choose the password without the
        #: desktop token (``/api/setup`` from another user's program is refused).
        self.owner_uid: int | None = os.getuid() if hasattr(os, "getuid") else None

    @property
    def token_file(self) -> Path:
        return self.auth_dir / "token"

    def desktop_token(self) -> str:
        """The desktop token, created (mode 0600) on first use."""
        if self._token is None:
            self._token = read_or_create_token(self.token_file)
        return self._token

    # -- password flow ----------------------------------------------------------------------

    def is_password_set(self) -> bool:
        return all((self.auth_dir / name).is_file() for name in (".salt", ".hash", ".jwtsecret"))

    async def set_password(self, password: str) -> None:
        """Raises ``ConflictError`` once a password is set, ``InvalidInputError`` for a weak one.

        The password is stored in Unicode's composed form (NFC): an "é" typed on one keyboard as
        one character and on another as "e" and an accent is one password."""
        password = unicodedata.normalize("NFC", password)
        async with self._setup_lock:
            if self.is_password_set():
                raise ConflictError("Setup already complete.")
            if len(password) < self._password_min_length:
                raise InvalidInputError(
                    "Password is required and must be at least "
                    f"{self._password_min_length} characters long."
                )
            if not password.strip():
                raise InvalidInputError("The password cannot be only spaces.")
            salt = os.urandom(16)
            digest = await _hash(_password_bytes(password), salt)
            self.auth_dir.mkdir(parents=True, exist_ok=True)
            files = ((".salt", salt), (".hash", digest), (".jwtsecret", os.urandom(32)))
            for name, content in files:
                _write_private(self.auth_dir / name, content)

    async def check_password(self, password: str) -> bool:
        """Raises ``InvalidInputError`` for a password that is not valid text.

        The composed form is tried first; the form as typed, where it differs, matches a
        password that was stored without being composed (by the Privatefolio backend)."""
        composed = unicodedata.normalize("NFC", password)
        forms = [composed] if composed == password else [composed, password]
        salt = (self.auth_dir / ".salt").read_bytes()
        stored = (self.auth_dir / ".hash").read_bytes()
        for form in forms:
            if hmac.compare_digest(await _hash(_password_bytes(form), salt), stored):
                return True
        return False

    def issue_jwt(self) -> str:
        import jwt

        now = int(time.time())
        claims = {"sub": "privatefolio", "iat": now, "exp": now + self._jwt_lifetime_seconds}
        return jwt.encode(claims, self._jwt_secret(), algorithm="HS256")

    def is_valid_jwt(self, token: str) -> bool:
        if not self.is_password_set() or not token.isascii():
            return False
        import jwt

        try:
            jwt.decode(
                token, self._jwt_secret(), algorithms=["HS256"], options={"require": ["exp"]}
            )
        except jwt.PyJWTError:
            return False
        return True

    def is_authorized(self, token: str | None) -> bool:
        """True for the desktop token (compared in constant time) or a valid JWT.

        Both are ASCII: a header of other bytes (aiohttp decodes them to lone surrogates, which
        cannot be encoded again) is no credential."""
        if not token or not token.isascii():
            return False
        if hmac.compare_digest(token.encode(), self.desktop_token().encode()):
            return True
        return token.count(".") == 2 and self.is_valid_jwt(token)

    def _jwt_secret(self) -> bytes:
        return (self.auth_dir / ".jwtsecret").read_bytes()


def read_token(path: Path) -> str | None:
    """The desktop token in ``path``, or None when there is no such file (no daemon started on
    its data dir). Raises ``DamagedTokenError`` for a file that holds no token the daemon wrote,
    ``TokenFileError`` for one that cannot be read."""
    if path.is_dir():
        raise TokenFileError(
            f"The desktop token {path} is a directory, not a file: remove it (the daemon writes "
            "a new token there when it starts), then start again."
        )
    try:
        content = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise TokenFileError(f"The desktop token {path} cannot be read: {error}") from error
    if not _TOKEN.fullmatch(content):
        raise DamagedTokenError(path)
    return content.decode()


def read_or_create_token(path: Path) -> str:
    """The desktop token, made when there is none, and replaced when the file is damaged."""
    try:
        token = read_token(path)
    except DamagedTokenError:
        token = _new_token(path)
        log.warning(
            "The desktop token file %s was damaged (it did not hold the 64 hex digits the "
            "daemon writes, so no client could use it): it now holds a new token.",
            path,
        )
    return _new_token(path) if token is None else token


def _new_token(path: Path) -> str:
    token = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, token.encode())
    except OSError as error:
        raise TokenFileError(
            f"The desktop token {path} cannot be written ({error.strerror or error}): free some "
            f"space on its disk, or make {path.parent} writable, then start again."
        ) from error
    return token


def _write_private(path: Path, content: bytes) -> None:
    """Write ``path`` (mode 0600) whole or not at all: a crash or a full disk leaves the file
    as it was, never empty or half written."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mode 0600
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX: Windows cannot open a directory)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _password_bytes(password: str) -> bytes:
    try:
        return password.encode()
    except UnicodeEncodeError as error:  # JSON's "\ud800" decodes to a lone surrogate
        raise InvalidInputError(
            "The password is not valid text (it holds a lone surrogate)."
        ) from error


async def _hash(password: bytes, salt: bytes) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, _scrypt, password, salt)


def _scrypt(password: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(password, salt=salt, maxmem=64 * 1024 * 1024, **_SCRYPT)
