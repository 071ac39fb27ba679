"""The daemon-wide output budget: clients that do not read may not together queue more than it;
past it, the one holding the most is closed with 1013 and the others keep working."""

from pathlib import Path

import aiohttp
import pytest

from tests.rpc.probe_server import exchange, probe_server, receive, until

EACH = 3 * 2**20
TOTAL = 4 * 2**20
#: 24 events of about 64 KiB: each listener's share stays under ``EACH``, all four over ``TOTAL``.
EVENTS = 24
TICK_BYTES = 65_000


@pytest.mark.parametrize("largest_listens_first", [True, False])
async def test_the_client_holding_the_most_is_closed_once_all_together_pass_the_budget(
    tmp_path: Path, largest_listens_first: bool
) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=EACH, queued_bytes_total=TOTAL) as server,
        server.socket() as largest,
        server.socket() as second,
        server.socket() as third,
        server.socket() as reader,
    ):
        # The largest listens twice, so its frames queue twice as fast. When it listens first, the
        # frame that passes the budget is its own; otherwise the frame is another client's.
        listeners = [largest, largest, second, third]
        if not largest_listens_first:
            listeners = [second, third, largest, largest]
        for number, ws in enumerate(listeners):
            ref = {"__isFunction": True, "functionId": f"client_func_{number}_0"}
            subscribed = await exchange(
                ws, {"id": number, "method": "subscribeToTicks", "params": [ref]}
            )
            assert isinstance(subscribed["result"], str)
        # What all clients hold, as each event has been queued for every listener.
        totals: list[int] = []
        server.events.subscribe("ticks", lambda *_: totals.append(server.hub.queued_bytes))
        # From now on only the reader reads. Every event is queued for the three others at once.
        emitted = await exchange(
            reader, {"id": 1, "method": "emitTicks", "params": [EVENTS, TICK_BYTES]}
        )
        assert emitted == {"id": 1, "method": "emitTicks"}
        assert server.stats.slow_consumers_closed == 1
        assert len(totals) == EVENTS
        assert TOTAL - 4 * TICK_BYTES < max(totals) <= TOTAL
        assert await exchange(reader, {"id": 2, "method": "add", "params": [1, 2]}) == {
            "id": 2,
            "method": "add",
            "result": 3,
        }

        closing = await largest.receive(timeout=10)
        assert (closing.type, closing.data, closing.extra) == (
            aiohttp.WSMsgType.CLOSE,
            1013,
            "Client too slow to keep up",
        )
        ticks = [await receive(second) for _ in range(EVENTS)]
        assert [tick["params"][0] for tick in ticks] == list(range(EVENTS))
        assert {len(tick["params"][1]) for tick in ticks} == {TICK_BYTES}

        # The third goes away unread: what was queued for it is given back as well.
        await third.close()
        await until(lambda: server.stats.connections == 2)
        await until(lambda: server.hub.queued_bytes == 0)
        assert server.stats.slow_consumers_closed == 1
