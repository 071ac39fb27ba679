"""JSON-RPC 2.0 batches keep the limits separate calls have, and never hold up other clients."""

from pathlib import Path

from tests.rpc.probe_server import exchange, probe_server, receive


def call(request_id: int, method: str, *params: object) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}


async def test_a_batch_of_more_than_1000_calls_is_refused_whole(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        batch = [call(index, "spinThenMark", 0, "ran") for index in range(1001)]
        assert await exchange(ws, batch) == {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": -32600,
                "message": "A batch may hold at most 1,000 calls; this one holds 1,001",
            },
        }
        assert server.api.marks == []
        answers = await exchange(ws, batch[:1000])
        assert [answer["id"] for answer in answers] == list(range(1000))


async def test_calls_that_never_wait_take_turns_with_other_clients(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as busy, server.socket() as other:
        await busy.send_json([call(index, "spinThenMark", 5, "batch") for index in range(200)])
        await server.api.spun.wait()
        assert await exchange(other, call(1, "sleepThenMark", 0, "other")) == {
            "jsonrpc": "2.0",
            "id": 1,
            "result": None,
        }
        assert len(await receive(busy)) == 200
        # One second of the batch's work lies after the other client's call, not before it.
        assert server.api.marks.index("other") < 150


async def test_the_batches_of_a_connection_run_as_many_calls_at_once_as_it(
    tmp_path: Path,
) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        for batch in range(8):
            await ws.send_json([call(batch * 100 + index, "holdSlot", 0.05) for index in range(40)])
        answers = [await receive(ws) for _ in range(8)]
        assert sorted(len(answer) for answer in answers) == [40] * 8
        assert server.api.most_holding == 16


async def test_calls_past_the_batch_answer_budget_are_not_run(tmp_path: Path) -> None:
    async with (
        probe_server(tmp_path, batch_answer_bytes=2**20) as server,
        server.socket() as ws,
    ):
        batch = [call(index, "payload", 600 * 2**10) for index in range(3)]
        batch.append(call(3, "spinThenMark", 0, "ran"))
        first, second, third, fourth = await exchange(ws, batch)
        assert len(first["result"]) == len(second["result"]) == 600 * 2**10
        refusal = (
            "This batch's answers passed 1 MiB, so this call was not run: "
            "send it again on its own or in a smaller batch"
        )
        assert third == {"jsonrpc": "2.0", "id": 2, "error": {"code": -32004, "message": refusal}}
        assert fourth["error"]["message"] == refusal
        assert server.api.marks == []


async def test_one_event_may_reach_thousands_of_callbacks_of_a_client_that_reads(
    tmp_path: Path,
) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        for index in range(3000):
            ref = {"__isFunction": True, "functionId": f"client_func_{index}"}
            await ws.send_json({"id": index, "method": "subscribeToTicks", "params": [ref]})
        for _ in range(3000):
            await receive(ws)
        await ws.send_json({"id": "go", "method": "emitTicks", "params": [1]})
        frames = [await receive(ws) for _ in range(3001)]
        assert {"id": "go", "method": "emitTicks"} in frames
        assert len({frame.get("functionId") for frame in frames} - {None}) == 3000
        assert server.stats.slow_consumers_closed == 0
