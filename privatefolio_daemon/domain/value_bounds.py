"""What the key-value entries that users write may hold (decision 0011).

The store checks a synced entry as it logs its change (``value_written``), so ``setValue`` and
the ``value.set`` sync event refuse the same values. The keys are spelled out rather than
imported: the store's key list imports this module.
"""

from typing import Any

import orjson

from privatefolio_daemon.domain.errors import InvalidInputError, shortened
from privatefolio_daemon.domain.settings_checks import check_stored_settings
from privatefolio_daemon.domain.text_bounds import bounded_size, bounded_text

VALUE_MAX_BYTES = 1024 * 1024
SETTINGS_MAX_BYTES = 64 * 1024
API_URL_MAX_CHARS = 2048
#: Keys are names (``address_book``); a subscription keeps its key as long as it lives.
KEY_MAX_CHARS = 256


def check_key(key: str) -> None:
    bounded_text("A key", key, KEY_MAX_CHARS)


def check_value(key: str, value: Any) -> None:
    """Any entry a client writes: its key a name, its value at most 1 MiB as stored."""
    check_key(key)
    if value is not None:
        bounded_size(f'The value of "{key}"', value, VALUE_MAX_BYTES)


def check_synced_value(key: str, stored: Any) -> None:
    """A synced entry as stored (``None`` clears it): the type the frontend reads, and its bound."""
    if stored is None:
        return
    check_value(key, stored)
    if key == "settings":
        bounded_size("Settings JSON", stored, SETTINGS_MAX_BYTES)
        check_stored_settings(stored)
    elif key == "address_book":
        _check_address_book(stored)
    elif key == "assistant_custom_api_url":
        if not isinstance(stored, str):
            raise InvalidInputError(f"The assistant's API URL must be a text, not {stored!r}")
        bounded_text("The assistant's API URL", stored, API_URL_MAX_CHARS)


def _check_address_book(stored: Any) -> None:
    """A JSON object of labels by address, as the frontend writes it: ``{"0xabc…": "Cold"}``."""
    try:
        book = orjson.loads(stored) if isinstance(stored, str) else None
    except orjson.JSONDecodeError:
        book = None
    if not isinstance(book, dict) or not all(isinstance(label, str) for label in book.values()):
        shown = f'"{shortened(stored)}"' if isinstance(stored, str) else repr(stored)
        raise InvalidInputError(
            "The address book must be a JSON object of labels by address, "
            f'e.g. {{"0xabc": "Cold wallet"}}, not {shown}'
        )
