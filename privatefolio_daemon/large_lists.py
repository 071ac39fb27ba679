"""Freeing large lists without holding up the event loop.

Freeing a list of 200,000 records is one step of the interpreter that holds the GIL throughout
(100 ms and more), wherever it runs: a thread does not spare the event loop that wait unless the
list is emptied in parts, each part one step.
"""

from typing import Any

#: Items freed at a time: a few hundred microseconds of work.
ITEMS_FREED_AT_ONCE = 2_000


def empty_in_parts(items: list[Any]) -> None:
    """Empty ``items`` from its end, ``ITEMS_FREED_AT_ONCE`` at a time (call it on a thread)."""
    while items:
        del items[-ITEMS_FREED_AT_ONCE:]
