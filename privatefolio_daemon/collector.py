"""How often the daemon's processes run Python's cyclic garbage collector.

Imports and derived passes build records by the hundred thousand and free them by reference
counting; cycles among them are rare. With Python's default threshold, a collection of the
youngest objects every 700 container objects allocated and not yet freed, the collector ran
every few rows and found nothing: 1.9% of an import worker's instructions, and 6–7% of a full
trades computation of 100k rows (0.13–0.16 s of 2.1–2.4 s). From this threshold on, a parse or
such a pass runs no collection at all, and garbage in cycles is still collected, a little later.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Container objects allocated and not yet freed that start a collection of the youngest ones.
YOUNG_THRESHOLD = 50_000


def collect_rarely() -> None:
    """Apply :data:`YOUNG_THRESHOLD` to this process (the older generations keep theirs)."""
    gc.set_threshold(YOUNG_THRESHOLD)


_pausing = threading.Lock()
_pauses = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while a pass holds a whole ledger as records (auto-merge, spam
    detection), for every thread of the process: each collection of the older generations
    walks all those records with the GIL held, which stops the event loop (34 collections, the
    longest 263 ms, while 340k EVM transactions were read and merged). Pauses may overlap; the
    collector resumes, as it was before the first, when the last ends."""
    global _pauses, _was_enabled
    with _pausing:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pausing:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
