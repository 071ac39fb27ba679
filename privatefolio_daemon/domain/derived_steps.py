"""The derived-data steps that the side-effect chain and the crons run, one per task name.

Steps whose computation has not landed yet are ``Unavailable``: the side-effect chain and the
crons leave them out, and running one directly fails with a clear message.
"""

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")

DETECT_SPAM = "Detect spam transactions"
AUTO_MERGE = "Auto-merge transactions"
REFRESH_BALANCES = "Refresh balances"
FETCH_PRICES = "Fetch asset prices"
REFRESH_NETWORTH = "Refresh networth"
REFRESH_TRADES = "Refresh trades"
REFETCH_ASSETS = "Refetch assets"
REFETCH_PLATFORMS = "Refetch platforms"

PRICES_CHANGED = "prices-changed"
"""Internal account channel: stored prices of computed days changed, so the net worth and the
PnL from then on are stale (their cursors are lowered already)."""

PRICE_SOURCE_CHANGED = "price-source-changed"
"""Internal account channel: the user chose another price source for an asset, whose stored
prices are deleted (the cursors lowered already): its prices are to be fetched again, and the
net worth and the PnL revalued."""


class Progress(Protocol):
    def __call__(self, percent: float | None = None, message: str | None = None) -> None: ...


class Cancel(Protocol):
    def checkpoint(self) -> None: ...


class SqlCancel(Cancel, Protocol):
    """A cancel that can also interrupt the SQL statement running on a connection."""

    def guard_sql(
        self, function: Callable[[sqlite3.Connection], T]
    ) -> Callable[[sqlite3.Connection], T]: ...


Step = Callable[[str, Progress, SqlCancel], Awaitable[str | None]]
"""Runs for one account; what it returns, when not None, is the last line of its task's log."""


class Unavailable:
    """A step whose computation has not landed: the chains skip it, and running it fails."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, account: str, progress: Progress, cancel: Cancel) -> None:
        raise NotImplementedError(f"{self.name} is not available in this version yet")


def is_available(step: Step) -> bool:
    return not isinstance(step, Unavailable)


def placeholder(name: str) -> Step:
    return Unavailable(name)


def placeholder_steps() -> dict[str, Step]:
    names = (
        DETECT_SPAM,
        AUTO_MERGE,
        REFRESH_BALANCES,
        FETCH_PRICES,
        REFRESH_NETWORTH,
        REFRESH_TRADES,
        REFETCH_ASSETS,
        REFETCH_PLATFORMS,
    )
    return {name: placeholder(name) for name in names}
