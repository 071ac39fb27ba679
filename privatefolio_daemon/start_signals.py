"""SIGINT and SIGTERM during start-up: the daemon stops, with one line on stderr.

Before the event loop runs (while the daemon's modules load, half a second) a signal raises
``StoppedEarly``; from then on the loop's handlers take over (``app.run_until_signalled``).
"""

import signal
from types import FrameType

#: Stopped by SIGINT or SIGTERM, during start-up too: the stop asked for is no failure, so a
#: service manager that restarts a daemon that fails (a login item) leaves it stopped.
EXIT_STOPPED = 0


class StoppedEarly(Exception):
    """A signal came before the event loop ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(stopped_during_start_up(signum))


def stopped_during_start_up(signum: int) -> str:
    """The line on stderr (without its program name) of a start that a signal stopped."""
    return f"Stopped by {signal.Signals(signum).name} during start-up."


def raise_on_signals() -> None:
    """Until the event loop's own handlers replace it, a signal raises ``StoppedEarly``."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise)


def _raise(signum: int, _: FrameType | None) -> None:
    raise StoppedEarly(signum)
