"""enqueueSleep, a debug task, refuses a sleep that would hold the queue or flood the log."""

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.relayer.test_tasks_api import wait_until_done


@pytest.mark.parametrize(
    ("seconds", "step", "message"),
    [
        (1e308, 1, "seconds must be above 0 and at most 86400 (one day), not 1e+308"),
        (86_400.5, 1, "seconds must be above 0 and at most 86400 (one day), not 86400.5"),
        (0, 1, "seconds must be above 0 and at most 86400 (one day), not 0"),
        (-1, 1, "seconds must be above 0 and at most 86400 (one day), not -1"),
        (1, 1e-300, "step must be at least 0.01 seconds, not 1e-300"),
        (1, 0.009, "step must be at least 0.01 seconds, not 0.009"),
        (1, 0, "step must be at least 0.01 seconds, not 0"),
    ],
)
async def test_a_sleep_out_of_bounds_is_refused(
    client: DaemonClient, seconds: float, step: float, message: str
) -> None:
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as caught:
        await client.call("enqueueSleep", "main", seconds, step)

    assert (caught.value.code, caught.value.message) == (-32602, message)
    assert (
        await client.call(
            "countServerTasks", "main", "SELECT COUNT(*) FROM server_tasks WHERE name = 'Sleep'"
        )
        == 0
    )


async def test_the_bounds_themselves_are_accepted(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    shortest = await client.call("enqueueSleep", "main", 0.01, 0.01)
    assert (await wait_until_done(client, shortest))["status"] == "completed"
    longest = await client.call("enqueueSleep", "main", 86_400, 0.01)
    await client.call("cancelTask", "main", longest)
    assert (await wait_until_done(client, longest))["status"] in ("cancelled", "aborted")
