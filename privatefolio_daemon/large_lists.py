"""Freeing large lists without holding up the event loop.

Freeing a list of 200,000 records is one step of the interpreter that holds the GIL throughout
(100 ms and more), wherever it runs: a thread does not spare the event loop that wait unless the
list is emptied in parts, each part one step.
"""

from typing import Any

#: Items freed at a time: a few hundred microseconds of work.
ITEMS_FREED_AT_ONCE = 2_000


def empty_in_parts(items: list[Any], at_once: int = ITEMS_FREED_AT_ONCE) -> None:
    """Empty ``items`` from its end, ``at_once`` at a time (call it on a thread). Items that
    are large themselves (a day's balances of every asset) go one at a time."""
    while items:
        del items[-at_once:]


def empty_dict_in_parts(items: dict[Any, Any]) -> None:
    """Empty ``items`` one entry at a time, for entries that are large themselves."""
    while items:
        items.popitem()
