"""A device following the change feed is told when its account is renamed or deleted: it goes on
under the new name, or gets a last page, instead of hearing nothing more."""

import asyncio
from typing import Any

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import until

Page = dict[str, Any]


async def test_a_follower_goes_on_under_the_new_name(client: DaemonClient) -> None:
    await client.call("createAccount", "life")
    await client.call("upsertTags", "life", ["a"])
    pages: list[Page] = []
    await client.call("subscribeToChanges", "life", 0, pages.append)
    await until(lambda: bool(pages))
    feed_id = pages[0]["feedId"]

    await client.call("renameAccount", "life", "life2")
    await until(lambda: len(pages) == 2)
    assert pages[1] == {
        "feedId": feed_id,
        "lastSeq": 1,
        "changes": [],
        "hasMore": False,
        "renamedTo": "life2",
    }
    await client.call("upsertTags", "life2", ["b"])
    await until(lambda: len(pages) == 3)
    assert [c["record"] for c in pages[2]["changes"]] == [{"id": 2, "name": "b"}]
    assert "renamedTo" not in pages[2]

    await client.call("renameAccount", "life2", "life")
    await client.call("upsertTags", "life", ["c"])
    await until(lambda: any(c["record"]["name"] == "c" for p in pages for c in p["changes"]))
    assert [p.get("renamedTo") for p in pages[3:] if "renamedTo" in p] == ["life"]


async def test_a_follower_of_a_deleted_account_gets_a_last_page(client: DaemonClient) -> None:
    await client.call("createAccount", "life")
    await client.call("upsertTags", "life", ["a"])
    pages: list[Page] = []
    await client.call("subscribeToChanges", "life", 0, pages.append)
    await until(lambda: bool(pages))

    await client.call("deleteAccount", "life")
    await until(lambda: len(pages) == 2)
    assert pages[1] == {
        "feedId": pages[0]["feedId"],
        "lastSeq": 1,
        "changes": [],
        "hasMore": False,
        "accountDeleted": True,
    }
    await client.call("createAccount", "life")
    await client.call("upsertTags", "life", ["new"])
    await asyncio.sleep(0.2)
    assert len(pages) == 2


async def test_a_reset_is_not_a_deletion(client: DaemonClient) -> None:
    await client.call("createAccount", "life")
    await client.call("upsertTags", "life", ["a"])
    pages: list[Page] = []
    await client.call("subscribeToChanges", "life", 0, pages.append)
    await until(lambda: bool(pages))

    await client.call("resetAccount", "life")
    await until(lambda: len(pages) == 2)
    assert pages[1]["reset"] is True
    assert "accountDeleted" not in pages[1]
