"""Which account names are allowed: each one becomes a file name on every OS."""

import unicodedata

from privatefolio_daemon.domain.errors import InvalidInputError

#: File systems allow 255 bytes in a name, and the daemon's longest file name is the account's
#: name and about 45 bytes more: ``<name>.sqlite.pre-v<N>-<ms>.bak-journal`` (a copy made before
#: an upgrade), ``<name>.sqlite.restore-<ms>.new-journal`` (a restore), ``.<name>-trades.scratch``…
MAX_BYTES = 200
_FORBIDDEN = set('<>:"/\\|?*')
#: Windows' device names: COM and LPT with a digit, a superscript one included, and the console's.
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"
}


def validate_account_name(name: str) -> str:
    """Return ``name`` if it can be an account name, else raise with the reason."""
    if not name or not name.strip():
        raise InvalidInputError("Account name cannot be empty.")
    if any(_forbidden(char) for char in name):
        raise InvalidInputError(
            "Account name contains invalid characters. Allowed characters: letters, digits, "
            'spaces and punctuation except < > : " / \\ | ? * and control characters.'
        )
    size = len(name.encode("utf-8"))
    if size > MAX_BYTES:
        raise InvalidInputError(
            f"Account names can be at most {MAX_BYTES} bytes long (UTF-8); this one is {size}."
        )
    if name in (".", "..") or name != name.strip() or name.endswith("."):
        raise InvalidInputError(
            "Account name cannot start or end with a space, nor end with a dot."
        )
    if name.split(".")[0].rstrip(" ").upper() in _RESERVED:
        raise InvalidInputError(
            f'"{name}" is a reserved name and cannot be used as an account name.'
        )
    return name


def _forbidden(char: str) -> bool:
    """Reserved by a file system, a control character, or a lone surrogate (no UTF-8 for it)."""
    code = ord(char)
    return char in _FORBIDDEN or code < 32 or code == 127 or 0xD800 <= code <= 0xDFFF


def same_file_key(name: str) -> str:
    """Equal for names whose files would be one where file names ignore case and Unicode
    normalisation (macOS and Windows by default)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())
