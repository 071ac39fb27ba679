"""Where the files the daemon ships live: SQL migrations and static data.

In a source checkout they sit at the top of the repository; in a built wheel they are bundled
inside the package.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _resource(name: str) -> Path:
    bundled = _PACKAGE / "_bundled" / name
    return bundled if bundled.is_dir() else _PACKAGE.parent / name


def schema_dir(kind: str) -> Path:
    """``schema/account`` or ``schema/server``."""
    return _resource("schema") / kind


def static_data_dir() -> Path:
    return _resource("data")
