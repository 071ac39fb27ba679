"""SIGINT, SIGTERM and SIGHUP during start-up: the daemon stops, with one line on stderr.

From the first line of ``cli.main`` until the event loop runs (while the daemon's modules load,
half a second) a signal raises ``StoppedEarly``; from then on the loop's handlers take over
(``app.run_until_signalled``). SIGHUP (its terminal closed) stops the daemon as the others do,
unless it was ignored when the daemon started (``nohup``).
"""

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

#: Stopped by a signal, during start-up too: the stop asked for is no failure, so a service
#: manager that restarts a daemon that fails (a login item) leaves it stopped.
EXIT_STOPPED = 0

Handler = Callable[[int, FrameType | None], Any] | int | None


class StoppedEarly(Exception):
    """A signal came before the event loop ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(stopped_during_start_up(signum))


def stopped_during_start_up(signum: int) -> str:
    """The line on stderr (without its program name) of a start that a signal stopped."""
    return f"Stopped by {signal.Signals(signum).name} during start-up."


def stop_signals() -> tuple[signal.Signals, ...]:
    """The signals that stop the daemon: SIGINT, SIGTERM, and SIGHUP where the platform has one
    and the daemon was not started to ignore it (``nohup``)."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or signal.getsignal(hangup) == signal.SIG_IGN:
        return (signal.SIGINT, signal.SIGTERM)
    return (signal.SIGINT, signal.SIGTERM, hangup)


def raise_on_signals() -> dict[signal.Signals, Handler]:
    """Until the event loop's own handlers replace it, a signal raises ``StoppedEarly``. The
    signals are unblocked too (a parent may have left them blocked, and one may already wait).
    Returns the handlers replaced, for ``restore``."""
    signals = stop_signals()
    replaced = {signum: signal.signal(signum, _raise) for signum in signals}
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
    return replaced


def restore(handlers: dict[signal.Signals, Handler]) -> None:
    """Put back the handlers ``raise_on_signals`` replaced (for the commands other than serve)."""
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def _raise(signum: int, _: FrameType | None) -> None:
    raise StoppedEarly(signum)
