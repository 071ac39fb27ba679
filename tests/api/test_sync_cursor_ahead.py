"""A cursor past the feed's lastSeq was never given by the feed: it is refused, since with it a
client would skip changes without knowing. A cursor of another feed, named with its feedId, still
gets the new feed from its start (reset)."""

from typing import Any

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import until
from tests.api.refusals import refusal_of_call

Page = dict[str, Any]


def ahead(after_seq: int, feed_id: str, last_seq: int) -> tuple[int, str]:
    return (
        -32602,
        f"afterSeq {after_seq} is beyond the last seq of feed {feed_id}, {last_seq}: read a new "
        "snapshot (getSnapshot) and go on from its lastSeq",
    )


async def test_a_cursor_from_the_future_is_refused(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    page = await client.call("getChanges", "main", 2)
    assert (page["lastSeq"], page["changes"]) == (2, [])
    feed_id = page["feedId"]

    assert await refusal_of_call(client, "getChanges", "main", 3) == ahead(3, feed_id, 2)
    assert await refusal_of_call(client, "getChanges", "main", 1000000, 10, feed_id) == ahead(
        1000000, feed_id, 2
    )
    for known in (None, feed_id):
        assert await refusal_of_call(
            client, "subscribeToChanges", "main", 52, lambda _: None, known
        ) == ahead(52, feed_id, 2)


async def test_a_cursor_of_an_earlier_feed_named_with_it_gets_the_new_feed(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    old = await client.call("getChanges", "main")
    await client.call("resetAccount", "main")
    pages: list[Page] = []
    await client.call("subscribeToChanges", "main", 2, pages.append, old["feedId"])
    await until(lambda: bool(pages))
    assert pages[0]["reset"] is True
    new_feed_id = pages[0]["feedId"]
    assert new_feed_id != old["feedId"]

    page = await client.call("getChanges", "main", 2, 500, old["feedId"])
    assert page == {"feedId": new_feed_id, "lastSeq": 0, "changes": [], "hasMore": False} | {
        "reset": True
    }
    assert await refusal_of_call(client, "getChanges", "main", 2) == ahead(2, new_feed_id, 0)

    await client.call("upsertTags", "main", ["c"])
    await until(lambda: len(pages) == 2)
    assert [c["seq"] for c in pages[1]["changes"]] == [3]
    page = await client.call("getChanges", "main", 2, 500, old["feedId"])
    assert ([c["seq"] for c in page["changes"]], page["reset"]) == ([3], True)
    page = await client.call("getChanges", "main", 2)
    assert ([c["seq"] for c in page["changes"]], "reset" in page) == ([3], False)


async def test_a_subscription_at_the_last_seq_gets_the_next_change(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a"])
    page = await client.call("getChanges", "main")
    pages: list[Page] = []
    await client.call("subscribeToChanges", "main", 1, pages.append, page["feedId"])
    await client.call("upsertTags", "main", ["b"])
    await until(lambda: bool(pages))
    assert [c["seq"] for c in pages[0]["changes"]] == [2]
