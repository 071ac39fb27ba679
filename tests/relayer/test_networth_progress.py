"""A net worth task's progress only goes forward."""

from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.networth import run_networth_pass
from tests.relayer.conftest import open_account_db

DAY_MS = 86_400_000
SEP_14_2017 = 1505347200000


async def test_networth_progress_never_goes_back(tmp_path: Path) -> None:
    db = await open_account_db(tmp_path / "main.sqlite")
    days = [SEP_14_2017 + index * DAY_MS for index in range(251)]
    await db.execute_many(
        "INSERT INTO balances (timestamp, data) VALUES (?, ?)",
        [(day, '{"X":"1"}') for day in days],
    )
    lines: list[list[Any]] = []

    await db.write(
        lambda conn: run_networth_pass(
            conn, since=0, progress=lambda percent, message: lines.append([percent, message])
        )
    )
    await db.close()

    assert lines == [
        [5, "Computing networth for 251 days"],
        [10, "Computing networth starting Sep 14, 2017"],
        [94.66135458167331, "Computing networth starting May 22, 2018"],
        [95, "Saving 251 records to the database"],
        [99, "Setting networth cursor to May 22, 2018"],
    ]
    percents = [percent for percent, _ in lines]
    assert percents == sorted(percents)
