"""The methods a kiosk guest may call (``api/guest_reading.py``); through a socket in
``tests/server/test_kiosk_mode.py``."""

from privatefolio_daemon.api.guest_reading import DISPLAY_METHODS
from privatefolio_daemon.app import Daemon

READING_PREFIXES = ("read", "get", "count", "subscribe")


async def test_every_method_a_guest_may_call_exists_and_only_reads(daemon: Daemon) -> None:
    """Privatefolio's guests may call the methods named as reading ones: none beyond them."""
    listed = [name for names in DISPLAY_METHODS.values() for name in names]
    assert daemon.features is not None

    assert [name for name in listed if daemon.methods.get(name) is None] == []
    assert [name for name in listed if not name.startswith(READING_PREFIXES)] == []
    assert len(set(listed)) == len(listed)
