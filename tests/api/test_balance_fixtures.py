"""Daily balances of the Privatefolio fixtures, imported and computed through the daemon, are
exactly the expected ones (../shared/fixtures/privatefolio/expected): every row, every string."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.balances import WORKER_LINE, run_balance_pass
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.settings import Limits
from tests.api.derived import price_settings, task_log, wait_for_side_effects
from tests.api.importing import import_0xf98, import_file, wait_for_task
from tests.conftest import make_config, offline_daemon, ws_url
from tests.shared_fixtures import expected, require_shared_fixtures

SEP_07_2017 = 1504742400000
SEP_14_2017 = 1505347200000


@pytest.fixture
def fixtures() -> Path:
    return require_shared_fixtures()


@pytest.fixture
async def main(daemon: Daemon, client: DaemonClient) -> DaemonClient:
    daemon.price_settings = price_settings()  # the chain's price fetch must stay offline
    await client.call("createAccount", "main")
    return client


def short_id(log_id: str, platform: str) -> str:
    parts = log_id.split("_")
    return "_".join([parts[1], parts[2], parts[4]]) if platform.startswith("chain.") else parts[1]


Balances = list[tuple[str, str | None, str | None]]


def log_balances(logs: list[dict[str, Any]]) -> Balances:
    """(short id, balance, balanceWallet) in the default order (timestamp, changeN, id DESC)."""
    return [
        (short_id(log["id"], log["platformId"]), log.get("balance"), log.get("balanceWallet"))
        for log in logs
    ]


def expected_log_balances(fixtures: Path, scenario: str) -> Balances:
    """The same from the sanitised logs of the fixture, whose ids are already short."""
    rows = expected(fixtures, scenario, "audit-logs.json")["rows"]
    return [(row["id"], row.get("balance"), row.get("balanceWallet")) for row in rows]


async def recompute_until_zero(daemon: Daemon) -> list[list[Any]]:
    lines: list[list[Any]] = []
    balances = daemon.derived.balances("main")
    await balances.recompute(lambda p=None, m=None: lines.append([p, m]), CancelToken(), until=0)
    return lines


async def test_binance_statement(daemon: Daemon, main: DaemonClient, fixtures: Path) -> None:
    await import_file(daemon, main, "binance.csv", (fixtures / "binance.csv").read_bytes())
    await wait_for_side_effects(main)

    lines = await recompute_until_zero(daemon)

    scenario = expected(fixtures, "binance-import", "scenario.json")
    assert lines == scenario["progress"]["computeBalances"]
    rows = expected(fixtures, "binance-import", "balances.json")["rows"]
    assert await main.call("getBalances", "main") == rows
    assert await main.call("getValue", "main", "balancesCursor") == 1514332800000
    logs = await main.call("getAuditLogs", "main")
    assert log_balances(logs) == expected_log_balances(fixtures, "binance-import")


async def test_binance_statement_with_its_logs_read_in_a_worker(
    tmp_path: Path, fixtures: Path
) -> None:
    limits = Limits(parallel_balances_min_logs=1)
    daemon = offline_daemon(replace(make_config(tmp_path / "data"), limits=limits))
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    try:
        await client.call("createAccount", "main")
        await import_file(daemon, client, "binance.csv", (fixtures / "binance.csv").read_bytes())
        chain = await wait_for_side_effects(client)
        refresh = next(task for task in chain if task["name"] == "Refresh balances")
        lines = await recompute_until_zero(daemon)

        assert (await task_log(client, refresh["id"]))[0] == [None, WORKER_LINE]
        scenario = expected(fixtures, "binance-import", "scenario.json")
        assert lines == [[None, WORKER_LINE], *scenario["progress"]["computeBalances"]]
        rows = expected(fixtures, "binance-import", "balances.json")["rows"]
        assert await client.call("getBalances", "main") == rows
        logs = await client.call("getAuditLogs", "main")
        assert log_balances(logs) == expected_log_balances(fixtures, "binance-import")
    finally:
        await client.close()
        await daemon.stop()


async def test_etherscan_0xf98(daemon: Daemon, main: DaemonClient, fixtures: Path) -> None:
    await import_0xf98(daemon, main, fixtures)
    await wait_for_side_effects(main)

    lines = await recompute_until_zero(daemon)

    assert lines == expected(fixtures, "0xf98", "scenario.json")["progress"]["computeBalances"]
    rows = expected(fixtures, "0xf98", "balances.json")["rows"]
    assert len(rows) == 1154
    assert await main.call("getBalances", "main") == rows
    # The expected logs are read after the auto-merge, which re-points txIds and rewrites
    # operations but keeps every log id, timestamp and change, so the order and balances hold.
    logs = await main.call("getAuditLogs", "main")
    assert log_balances(logs) == expected_log_balances(fixtures, "0xf98")


async def test_coinmama_full_then_incremental_then_prices_then_delete(
    daemon: Daemon, main: DaemonClient, fixtures: Path
) -> None:
    await import_file(daemon, main, "coinmama.csv", (fixtures / "coinmama.csv").read_bytes())
    await wait_for_side_effects(main)
    scenario = expected(fixtures, "coinmama-balances", "scenario.json")
    db = daemon.accounts.get("main")

    full: list[list[Any]] = []
    await db.write(
        lambda conn: run_balance_pass(
            conn, since=0, until=SEP_14_2017, progress=lambda p, m: full.append([p, m])
        )
    )
    incremental: list[list[Any]] = []
    result = await db.write(
        lambda conn: run_balance_pass(
            conn,
            since=SEP_07_2017,
            until=SEP_14_2017,
            progress=lambda p, m: incremental.append([p, m]),
        )
    )

    assert full == scenario["step1_fullCompute"]["progress"]
    assert incremental == scenario["step2_incrementalCompute"]["progress"]
    assert (result.cursor, result.rows_written, result.logs_processed) == (SEP_14_2017, 8, 1)
    rows = expected(fixtures, "coinmama-balances", "balances.json")["rows"]
    assert await main.call("getBalances", "main") == rows
    assert await main.call("getValue", "main", "balancesCursor") == SEP_14_2017
    logs = await main.call("getAuditLogs", "main")
    after = scenario["auditLogsAfterBalances"]
    assert [(log["id"], log["balance"], log["balanceWallet"]) for log in logs] == [
        (log["id"], log["balance"], log["balanceWallet"]) for log in after
    ]
    assert await main.call("getBalancesAt", "main") == scenario["getBalancesAt_withoutPrices"]

    price = {
        "time": SEP_14_2017 // 1000,
        "value": 3250.4,
        "open": 3855.61,
        "high": 3923,
        "low": 3230.05,
        "close": 3250.4,
        "volume": 36363.92501211,
    }
    await db.execute(
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            f"coinmama:BTC_{SEP_14_2017}",
            "coinmama:BTC",
            SEP_14_2017,
            json.dumps(price),
            "BTC-USD",
            "coinbase",
        ),
    )
    with_prices = await main.call("getBalancesAt", "main", SEP_14_2017 + 5000)
    assert with_prices == scenario["getBalancesAt_withCoinbasePrices"]
    assert with_prices[0]["value"] == 237.1443669072
    assert await main.call("getBalancesAt", "main", SEP_07_2017 - 30 * DAY_MS) == []

    task_id = await main.call("enqueueDeleteBalances", "main", "user")
    assert (await wait_for_task(main, task_id))["status"] == "completed"
    assert await main.call("getBalances", "main") == []
    assert (
        await main.call("getAuditLogs", "main")
        == scenario["step3_deleteBalances"]["auditLogsAfterDelete"]
    )
    assert await main.call("getValue", "main", "balancesCursor") == SEP_14_2017


async def test_the_recompute_task_fills_forward_to_today(
    daemon: Daemon, main: DaemonClient, fixtures: Path
) -> None:
    await import_file(daemon, main, "coinmama.csv", (fixtures / "coinmama.csv").read_bytes())
    await wait_for_side_effects(main)

    task_id = await main.call("enqueueRecomputeBalances", "main", "user")
    task = await wait_for_task(main, task_id)

    assert (task["name"], task["status"], task["priority"]) == (
        "Recompute balances",
        "completed",
        5,
    )
    rows = await main.call("getBalances", "main")
    expected_rows = expected(fixtures, "coinmama-balances", "balances.json")["rows"]
    today = day_start(now_ms())
    assert rows[: len(expected_rows) - 7] == expected_rows[:-7]
    assert rows[-1] == {"coinmama:BTC": "0.072958518", "timestamp": today}
    assert len(rows) == (today - expected_rows[0]["timestamp"]) // DAY_MS + 1
    assert await main.call("getValue", "main", "balancesCursor") == today
    lines = await task_log(main, task_id)
    assert lines[0] == [0, "Computing balances for 2 audit logs"]
    assert lines[-1] == [100, f"Saved {len(rows)} records to disk"]
