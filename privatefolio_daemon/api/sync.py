"""Sync methods (design §7): submit idempotent events, read the change feed, follow it live."""

from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from privatefolio_daemon.api.errors import domain_error_to_rpc
from privatefolio_daemon.domain.change_feed import MAX_PAGE_LIMIT, PAGE_LIMIT, ChangeFeed
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.sync_event_types import EVENT_TYPES, EventType
from privatefolio_daemon.domain.sync_events import EventOutcome, Mode, SyncEvents
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.params import AtLeast, AtMost, closed, compile_checker
from privatefolio_daemon.rpc.registry import CallContext, rpc_method

PageLimit = Annotated[int, AtLeast(1), AtMost(MAX_PAGE_LIMIT)]
"""How many changes a page of the feed holds."""


@closed
class SubmitOptions(TypedDict, total=False):
    mode: Mode
    feedId: str
    """The feed the client's events were made on: another one refuses them all (-32003)."""


def _result_to_wire(outcome: EventOutcome) -> dict[str, Any]:
    if outcome.error is None:
        return outcome.result
    rpc_error = domain_error_to_rpc(outcome.error)
    code = -32603 if rpc_error is None else rpc_error.code
    return {**outcome.result, "error": {"code": code, "message": str(outcome.error)}}


_DATA_CHECKERS = {kind: compile_checker(kind.data_type) for kind in EVENT_TYPES.values()}


def check_event_data(kind: EventType, data: dict[str, Any]) -> str | None:
    """The same check as a method parameter of the data's type gets."""
    return _DATA_CHECKERS[kind](data, "data")


def _checked_seq(after_seq: int) -> int:
    if after_seq < 0:
        raise InvalidInputError(f"afterSeq must be 0 or more, not {after_seq}")
    return after_seq  # at most SQLite's largest integer: checked as the parameter's type


def _refuse_a_cursor_ahead(after_seq: int, page: dict[str, Any]) -> None:
    """A cursor past the feed's lastSeq was never given by this feed: with it, a client would
    skip the changes up to it without knowing."""
    if after_seq > page["lastSeq"]:
        raise InvalidInputError(
            f"afterSeq {after_seq} is beyond the last seq of feed {page['feedId']}, "
            f"{page['lastSeq']}: read a new snapshot (getSnapshot) and go on from its lastSeq"
        )


class SyncApi:
    def __init__(self, sync_events_of: Callable[[str], SyncEvents], feed: ChangeFeed) -> None:
        self._sync_events_of = sync_events_of
        self._feed = feed

    @rpc_method()
    async def submitEvents(
        self, accountName: str, events: list[Any], options: SubmitOptions | None = None
    ) -> list[dict[str, Any]]:
        """Apply sync events in order; one result each (docs/sync.md).

        An event is ``{eventId, type, recordId?, version?, data?}`` (``null`` is a key left
        out; another key is refused); a result is applied, duplicate (the first result again),
        conflict (with the current record), error or skipped. ``options.mode``:
        ``stopOnFirstError`` (the default) or ``independent``."""
        chosen = options or {}
        sync_events = self._sync_events_of(accountName)
        mode = chosen.get("mode", "stopOnFirstError")
        outcomes = await sync_events.submit(events, mode, chosen.get("feedId"))
        return [_result_to_wire(outcome) for outcome in outcomes]

    @rpc_method()
    async def getChanges(
        self,
        accountName: str,
        afterSeq: int = 0,
        limit: PageLimit = PAGE_LIMIT,
        feedId: str | None = None,
    ) -> dict[str, Any]:
        """``{feedId, lastSeq, changes, hasMore, reset?}``: the changes after ``afterSeq``.

        A ``feedId`` that is no longer the account's gives the new feed's first page, with
        ``reset: true``; else an ``afterSeq`` beyond ``lastSeq`` is refused."""
        page = await self._feed.page(accountName, _checked_seq(afterSeq), limit)
        if feedId is not None and feedId != page["feedId"]:
            return {**await self._feed.page(accountName, 0, limit), "reset": True}
        _refuse_a_cursor_ahead(afterSeq, page)
        return page

    @rpc_method()
    async def getSnapshot(self, accountName: str) -> dict[str, Any]:
        """``{feedId, lastSeq, records}``: every synced record with its version, as of lastSeq."""
        return await self._feed.snapshot(accountName)

    @rpc_method()
    async def subscribeToChanges(
        self,
        ctx: CallContext,
        accountName: str,
        afterSeq: int,
        callback: RemoteFunction,
        feedId: str | None = None,
    ) -> str:
        """Deliver the changes after ``afterSeq``, then every new one, each once and in order.

        ``callback({feedId, lastSeq, changes, hasMore, reset?})``. A ``feedId`` that is no longer
        the account's (a reset or a restore since) starts with a ``reset: true`` page; else an
        ``afterSeq`` beyond ``lastSeq`` is refused."""
        after_seq = _checked_seq(afterSeq)
        page = await self._feed.page(accountName, after_seq, 1)
        if feedId is None or feedId == page["feedId"]:
            _refuse_a_cursor_ahead(afterSeq, page)
        stop = self._feed.follow(accountName, after_seq, ctx.paced(callback), feedId)
        return ctx.add_subscription(stop, callback)
