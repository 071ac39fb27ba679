"""Which account names are allowed: each one becomes a file name on every OS."""

from privatefolio_daemon.domain.errors import InvalidInputError

MAX_LENGTH = 255
_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}


def validate_account_name(name: str) -> str:
    """Return ``name`` if it can be an account name, else raise with the reason."""
    if not name or not name.strip():
        raise InvalidInputError("Account name cannot be empty.")
    if len(name) > MAX_LENGTH:
        raise InvalidInputError(f"Account name is too long: at most {MAX_LENGTH} characters.")
    if any(char in _FORBIDDEN or ord(char) < 32 or ord(char) == 127 for char in name):
        raise InvalidInputError(
            "Account name contains invalid characters. Allowed characters: letters, digits, "
            'spaces and punctuation except < > : " / \\ | ? * and control characters.'
        )
    if name in (".", "..") or name != name.strip() or name.endswith("."):
        raise InvalidInputError(
            "Account name cannot start or end with a space, nor end with a dot."
        )
    if name.split(".")[0].upper() in _RESERVED:
        raise InvalidInputError(
            f'"{name}" is a reserved name and cannot be used as an account name.'
        )
    return name
