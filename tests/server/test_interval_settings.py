"""Intervals in settings: whole minutes, from 1 (0 for backups: off) to ten years."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError

TEN_YEARS = 5_256_000


@pytest.mark.parametrize("wrong", [-5, 0, "abc", None, [1], 1e30, 1.5, True])
async def test_server_intervals_that_cannot_be_scheduled_are_refused(
    client: DaemonClient, wrong: Any
) -> None:
    before = await client.call("getServerSettings")
    for name in ("healthMetricsInterval", "systemInfoInterval"):
        with pytest.raises(RpcCallError) as refused:
            await client.call("updateServerSettings", {name: wrong})
        assert (refused.value.code, refused.value.message) == (
            -32602,
            f"{name} must be a whole number of minutes above 0",
        )
    assert await client.call("getServerSettings") == before


async def test_intervals_beyond_ten_years_are_refused(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    settings = await client.call("getSettings", "main")
    server_settings = await client.call("getServerSettings")
    calls: list[tuple[str, list[Any]]] = [
        ("updateServerSettings", [{"healthMetricsInterval": 10**12}]),
        ("updateSettings", ["main", {"networthRefreshInterval": 10**12}]),
        ("updateSettings", ["main", {"metadataRefreshInterval": 10**12}]),
        ("updateSettings", ["main", {"backupInterval": 10**12}]),
    ]
    for method, params in calls:
        with pytest.raises(RpcCallError) as refused:
            await client.call(method, *params)
        (name,) = params[-1]
        assert (refused.value.code, refused.value.message) == (
            -32602,
            f"{name} must be at most {TEN_YEARS} minutes (ten years), not {10**12}",
        )
    assert await client.call("getSettings", "main") == settings
    assert await client.call("getServerSettings") == server_settings

    most = {"networthRefreshInterval": TEN_YEARS, "backupInterval": TEN_YEARS}
    assert await client.call("updateSettings", "main", most) == {**settings, **most}
    assert await client.call("updateServerSettings", {"healthMetricsInterval": TEN_YEARS}) == {
        **server_settings,
        "healthMetricsInterval": TEN_YEARS,
    }
