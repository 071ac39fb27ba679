"""The intervals of scheduled jobs, in whole minutes, as settings hold them: what a client may
set, and what the crons make of a stored value they cannot schedule (one an older version let
through, or one edited on disk): the default, said in the log."""

import logging
from collections.abc import Mapping
from typing import Any

from privatefolio_daemon.domain.errors import InvalidInputError

log = logging.getLogger(__name__)

#: Ten years: beyond it a job never runs, and past about 8,000 years a date overflows.
MAX_INTERVAL_MINUTES = 10 * 365 * 24 * 60


def check_interval(name: str, minutes: Any, refusal: str | None = None) -> None:
    """Refuse anything but a whole number of minutes from 1 to ten years; ``refusal`` is the
    message for a value below 1 or not a whole number."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise InvalidInputError(refusal or f"{name} must be a whole number of minutes above 0")
    if minutes > MAX_INTERVAL_MINUTES:
        raise InvalidInputError(
            f"{name} must be at most {MAX_INTERVAL_MINUTES} minutes (ten years), not {minutes}"
        )


def scheduled_interval(
    settings: Mapping[str, Any], name: str, default: int, where: str, *, off: bool = False
) -> int:
    """The setting ``name`` as the crons schedule it: the default, logged, when it is not a
    whole number of minutes from 1 to ten years (or 0 when ``off`` allows it)."""
    minutes = settings.get(name, default)
    if off and minutes == 0 and not isinstance(minutes, bool):
        return 0
    try:
        check_interval(name, minutes)
    except InvalidInputError as refusal:
        log.warning(
            "%s: the stored %s %r cannot be scheduled (%s); using the default, %s",
            where,
            name,
            minutes,
            refusal,
            default,
        )
        return default
    return int(minutes)
