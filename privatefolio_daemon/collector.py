"""How often the daemon's processes run Python's cyclic garbage collector.

Imports and derived passes build records by the hundred thousand and free them by reference
counting; cycles among them are rare. With Python's default threshold, a collection of the
youngest objects every 700 container objects allocated and not yet freed, the collector ran
every few rows and found nothing: 1.9% of an import worker's instructions, and 6–7% of a full
trades computation of 100k rows (0.13–0.16 s of 2.1–2.4 s). From this threshold on, a parse or
such a pass runs no collection at all, and garbage in cycles is still collected, a little later.
"""

import gc

#: Container objects allocated and not yet freed that start a collection of the youngest ones.
YOUNG_THRESHOLD = 50_000


def collect_rarely() -> None:
    """Apply :data:`YOUNG_THRESHOLD` to this process (the older generations keep theirs)."""
    gc.set_threshold(YOUNG_THRESHOLD)
