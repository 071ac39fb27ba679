"""The derived-data steps that the side-effect chain and the crons run, one per task name.

Steps whose computation has not landed yet raise ``NotImplementedError`` with a clear message, so
their tasks end ``failed`` with the reason visible in the task list.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

DETECT_SPAM = "Detect spam transactions"
AUTO_MERGE = "Auto-merge transactions"
REFRESH_BALANCES = "Refresh balances"
FETCH_PRICES = "Fetch asset prices"
REFRESH_NETWORTH = "Refresh networth"
REFRESH_TRADES = "Refresh trades"
REFETCH_ASSETS = "Refetch assets"
REFETCH_PLATFORMS = "Refetch platforms"


class Progress(Protocol):
    def __call__(self, percent: float | None = None, message: str | None = None) -> None: ...


class Cancel(Protocol):
    def checkpoint(self) -> None: ...


Step = Callable[[str, Progress, Cancel], Awaitable[None]]


async def not_available(name: str) -> None:
    raise NotImplementedError(f"{name} is not available in this version yet")


def placeholder(name: str) -> Step:
    async def step(account: str, progress: Progress, cancel: Cancel) -> None:
        await not_available(name)

    return step


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
