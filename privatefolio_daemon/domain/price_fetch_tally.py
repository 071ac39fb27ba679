"""What became of each asset of one "Fetch asset prices" run, and how the run ends for it.

Each asset is fetched (its prices saved), failed (no provider answered with a price that can be
stored) or skipped (no provider prices it, or the user chose another one during the run). A run
with failures says so last in its log (``Fetched prices for 8 of 10 assets; 2 failed: USDC,
TI2``); one where assets failed and none was fetched fails, with how many failed and the first
error, in the assets' order, which the task list shows.
"""

from dataclasses import dataclass, field

from privatefolio_daemon.domain.errors import UpstreamError

#: How many failed assets the last line names; the others are counted.
NAMED_FAILURES = 5


@dataclass(frozen=True, slots=True)
class AssetFailure:
    ticker: str
    reason: str
    """Why, as the provider put it: ``DefiLlama: timed out after 1 s (asset …)``."""


@dataclass(slots=True)
class FetchTally:
    total: int
    fetched: int = 0
    skipped: int = 0
    _failures: dict[int, AssetFailure] = field(default_factory=dict, init=False, repr=False)

    def failed(self, index: int, ticker: str, reason: str) -> None:
        """The asset at ``index`` in the run's order failed."""
        self._failures[index] = AssetFailure(ticker, reason)

    def conclusion(self) -> str | None:
        """The run's last line when some assets failed, else None. Raises ``UpstreamError``
        when assets failed and none was fetched."""
        if not self._failures:
            return None
        failures = [self._failures[index] for index in sorted(self._failures)]
        if not self.fetched:
            skipped = f", {self.skipped} skipped" if self.skipped else ""
            first = failures[0]
            raise UpstreamError(
                f"Could not fetch prices for any asset: {len(failures)} of {self.total} "
                f"failed{skipped}; the first error: {first.ticker}: {first.reason}"
            )
        skipped = f"; {self.skipped} skipped" if self.skipped else ""
        return (
            f"Fetched prices for {self.fetched} of {self.total} assets; {len(failures)} failed: "
            f"{_named(failures)}{skipped}"
        )


def _named(failures: list[AssetFailure]) -> str:
    names = ", ".join(failure.ticker for failure in failures[:NAMED_FAILURES])
    more = len(failures) - NAMED_FAILURES
    return f"{names} and {more} more" if more > 0 else names
