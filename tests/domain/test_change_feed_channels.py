"""A follower of the feed hears of a tag assigned to any kind of item, on that item's channel."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.domain.change_feed import ChangeFeed
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.records import AuditLog
from privatefolio_daemon.domain.tags import Tags
from privatefolio_daemon.store import ledger
from tests.api.manual_entries import until
from tests.relayer.conftest import open_account_db


@pytest.mark.parametrize(("kind", "item_id"), [("auditLog", "log-1"), ("trade", "trade-1")])
async def test_a_tag_on_an_item_reaches_a_live_follower(
    tmp_path: Path, kind: str, item_id: str
) -> None:
    db = await open_account_db(tmp_path / "main.sqlite")
    events = EventBus()
    log = AuditLog(
        id="log-1", assetId="ex:BTC", change="1", importIndex=0, operation="Deposit",
        platformId="ex", timestamp=1_600_000_000_000, wallet="Spot",
    )  # fmt: skip
    await db.write(lambda connection: ledger.insert_audit_logs(connection, [log]))
    await db.write(
        lambda connection: connection.execute(
            "INSERT INTO trades (id, tradeNumber, assetId, amount, balance, createdAt, "
            "tradeStatus, tradeType) VALUES ('trade-1', 1, 'ex:BTC', '1', '1', 0, 'open', 'Long')"
        )
    )
    tags = Tags("main", db, events)
    await tags.upsert(["otc"])
    pages: list[dict[str, Any]] = []

    async def deliver(page: dict[str, Any]) -> None:
        pages.append(page)

    stop = ChangeFeed(lambda _: db, events).follow("main", 0, deliver)
    try:
        await until(lambda: bool(pages))  # the replay is over: what follows comes live
        await tags.assign(kind, item_id, "otc")  # type: ignore[arg-type]
        await until(lambda: len(pages) == 2, 2)
    finally:
        stop()
        await asyncio.sleep(0)
        await db.close()
    assert [(c["entity"], c["recordId"]) for c in pages[1]["changes"]] == [
        ("tagging", f"{kind}:{item_id}")
    ]
