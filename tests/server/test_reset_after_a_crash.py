"""A reset cut off by a crash is finished at the next start: the account is empty, not gone,
and the change feed's versions keep growing."""

from pathlib import Path

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.conftest import make_config, offline_daemon, ws_url


async def run(config_dir: Path, *calls: tuple[object, ...]) -> list[object]:
    daemon = offline_daemon(make_config(config_dir))
    await daemon.start()
    try:
        async with await DaemonClient.connect(
            ws_url(daemon), token=daemon.credentials.desktop_token()
        ) as client:
            return [await client.call(str(method), *params) for method, *params in calls]
    finally:
        await daemon.stop()


@pytest.mark.parametrize("database_left", [True, False])
async def test_a_reset_cut_off_by_a_crash_is_finished_at_start(
    tmp_path: Path, database_left: bool
) -> None:
    data = tmp_path / "data"
    await run(data, ("createAccount", "main"), ("upsertTags", "main", ["a", "b", "c"]))
    databases = data / "databases"
    # What a crash leaves between the reset's first step and its last:
    (databases / "main.resetting").write_text('{"seqFloor": 3, "createdAt": 1700000000000}')
    if not database_left:
        for path in databases.glob("main.sqlite*"):
            path.unlink()
    names, tags, _, changes = await run(
        data,
        ("getAccountNames",),
        ("getTags", "main"),
        ("upsertTags", "main", ["d"]),
        ("getChanges", "main", 0),
    )
    assert (names, tags) == (["main"], [])
    assert [change["seq"] for change in changes["changes"]] == [4]  # type: ignore[index]
    assert not (databases / "main.resetting").exists()
