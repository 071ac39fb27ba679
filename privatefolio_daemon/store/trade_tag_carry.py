"""A trade's tags follow it when a trades run gives it a new id.

A trade's id is the hash of its asset and opening time (data-model §8), so a trade that opens at
another time after a change of the ledger (an earlier deposit imported, say) comes back under a
new id, and its ``trade_tags`` rows would be left on an id that no longer exists. Every deletion
of trades therefore notes where each tagged one opened (key ``tradeTagsToCarry``:
``{tradeId: [assetId, createdAt]}``); after the run that follows, the tags of a trade that did
not come back under its id move to the trade of its asset that took its place: the one open at
that time, or else the first to open after it. A trade that none replaced takes its tags with it,
as a removed row does. The change feed records both sides.
"""

import sqlite3
from collections.abc import Sequence

import orjson

from privatefolio_daemon.store.key_value import delete_value, read_value, write_value
from privatefolio_daemon.store.tags import link_tag, untag_items

CARRY_KEY = "tradeTagsToCarry"

_TAGGED = "SELECT id, assetId, createdAt FROM trades WHERE id IN (SELECT trade_id FROM trade_tags)"


def remember_tagged_trades(
    connection: sqlite3.Connection, among: str = "", params: Sequence[str] = ()
) -> None:
    """Before trades are deleted: where the tagged ones opened. ``among`` narrows them to those
    being deleted (``AND id IN (…)``, with ``params``); every trade without it."""
    tagged = connection.execute(f"{_TAGGED} {among}", tuple(params)).fetchall()
    if tagged:
        pending = _pending(connection)
        pending.update((trade_id, [asset_id, opened]) for trade_id, asset_id, opened in tagged)
        write_value(connection, CARRY_KEY, pending)


def carry_trade_tags(connection: sqlite3.Connection) -> list[str]:
    """After a trades run: move the noted trades' tags; returns the trades that received tags."""
    pending = _pending(connection)
    if not pending:
        return []
    delete_value(connection, CARRY_KEY)
    received: list[str] = []
    for trade_id, (asset_id, created_at) in pending.items():
        if _exists(connection, trade_id):
            continue
        tag_ids = [
            tag_id
            for (tag_id,) in connection.execute(
                "SELECT tag_id FROM trade_tags WHERE trade_id = ? ORDER BY tag_id", (trade_id,)
            )
        ]
        successor = _successor(connection, asset_id, created_at) if tag_ids else None
        if successor is not None:
            for tag_id in tag_ids:
                link_tag(connection, "trade", [successor], tag_id)
            received.append(successor)
        untag_items(connection, "trade", [trade_id])
    return sorted(set(received))


def _pending(connection: sqlite3.Connection) -> dict[str, list[object]]:
    stored = read_value(connection, CARRY_KEY)
    pending = orjson.loads(stored) if isinstance(stored, str) else None
    return dict(pending) if isinstance(pending, dict) else {}


def _exists(connection: sqlite3.Connection, trade_id: str) -> bool:
    row = connection.execute("SELECT 1 FROM trades WHERE id = ?", (trade_id,)).fetchone()
    return row is not None


def _successor(connection: sqlite3.Connection, asset_id: object, created_at: object) -> str | None:
    row = (
        connection.execute(
            "SELECT id FROM trades WHERE assetId = ?1 AND createdAt <= ?2 "
            "AND (closedAt IS NULL OR closedAt >= ?2) ORDER BY createdAt DESC LIMIT 1",
            (asset_id, created_at),
        ).fetchone()
        or connection.execute(
            "SELECT id FROM trades WHERE assetId = ? AND createdAt > ? ORDER BY createdAt LIMIT 1",
            (asset_id, created_at),
        ).fetchone()
    )
    return None if row is None else str(row[0])
