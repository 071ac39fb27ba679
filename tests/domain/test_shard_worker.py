"""A worker's parse of its shard, run in this process."""

import gc
import multiprocessing
from pathlib import Path

from privatefolio_daemon.domain.shard_worker import ShardParsed, ShardTask, run_shard
from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.shard_plan import plan_shards
from privatefolio_daemon.store.shards import ledger_table_sql
from tests.api.test_parallel_import import binance_rows, statement
from tests.store.account_file import migrated_account


class _Counter:
    value = 0


def test_a_worker_parses_its_shard_without_collector_runs(
    tmp_path: Path, python_collector: None
) -> None:
    path = tmp_path / "statement.csv"
    path.write_bytes(statement(binance_rows(20_000, seed=3)))
    plan = plan_shards(path, 2, ParserContext())
    assert plan is not None
    account = migrated_account(tmp_path)
    table_sql = ledger_table_sql(account)
    account.close()
    output = tmp_path / "shard.sqlite"
    task = ShardTask(path, plan.header, plan.shards[0], "1", ParserContext(), output, table_sql)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    collections_before = gc.get_stats()[0]["collections"]

    run_shard(task, _Counter(), sender)

    outcome = receiver.recv()
    assert isinstance(outcome, ShardParsed)
    assert outcome.summary.rows > 9_000
    assert gc.get_stats()[0]["collections"] == collections_before
