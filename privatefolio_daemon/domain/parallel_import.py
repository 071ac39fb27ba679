"""Parsing a large file import on every core: one worker process per shard of the file.

Parsing is pure Python, so threads would take turns at the GIL; processes do not. The plan
(``shard_plan``) cuts the file where its parts parse exactly as the whole does, each worker
parses its part into a shard file (``shard_worker``), and the import copies the shard files into
the ledger in file order inside its one transaction. The summaries of the shards, merged in
order, give the file import's meta.

The workers come from ``worker_processes``. A grouping format's file whose timestamps go back
and forth is parsed whole instead (its rows must then be grouped globally), and so is a file
with no place to cut.
"""

import itertools
import logging
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.derived_steps import Cancel
from privatefolio_daemon.domain.shard_worker import (
    ShardFailed,
    ShardOutcome,
    ShardRejected,
    ShardTask,
    ShardUnsorted,
    run_shard,
)
from privatefolio_daemon.domain.thread_progress import Report
from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.made_ids import Renames
from privatefolio_daemon.sources.importers.parse_file import ImportMeta, ImportSummary
from privatefolio_daemon.sources.importers.shard_plan import ShardPlan, plan_shards
from privatefolio_daemon.worker_processes import PROCESSES, WorkersUnavailable

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
UNSORTED_FALLBACK = "The file is not sorted by time: parsing it in one process"


class ImportWorkerError(RuntimeError):
    """A worker process failed for a reason other than the file's content."""


@dataclass(frozen=True, slots=True)
class ParsedShards:
    files: list[Path]
    meta: ImportMeta
    oldest: int | None
    repeated_ids: dict[str, set[str]]
    """The ids the shards made more than once, by table (``MadeIds.repeated``)."""
    renames: list[Renames]
    """By shard, the ids it must rename before it is copied (``MadeIds.merge``)."""


def parse_in_parallel(
    path: Path,
    file_import_id: str,
    context: ParserContext,
    *,
    workers: int,
    directory: Path,
    table_sql: dict[str, str],
    report: Report,
    cancel: Cancel,
) -> ParsedShards | None:
    """Parse the file into shard files under ``directory``; None when it must be parsed whole.

    ``table_sql`` holds the ledger's ``CREATE TABLE`` statements, which the shard files copy.

    Blocks until the workers are done: run it on a thread. A row error is raised as the whole
    file's parse would raise it (the first one in the file).
    """
    plan = plan_shards(path, workers, context)
    if plan is None:
        return None
    parser = plan.parser
    report(12, f"Parsing in {len(plan.shards)} processes")
    tasks = _tasks(plan, path, file_import_id, context, directory, table_sql)
    try:
        outcomes = _run_workers(tasks, report, cancel)
    except WorkersUnavailable as error:
        log.warning("Parsing in one process: %s", error)
        report(None, f"Parsing in one process: {error}")
        return None
    merged = _merged(outcomes, grouping=parser.finalise_group is not None)
    if merged is None:
        report(None, UNSORTED_FALLBACK)
        return None
    summary, renames = merged
    return ParsedShards(
        [task.output for task in tasks],
        summary.meta(parser, context),
        summary.oldest,
        summary.made_ids.repeated,
        renames,
    )


def _tasks(
    plan: ShardPlan,
    path: Path,
    file_import_id: str,
    context: ParserContext,
    directory: Path,
    table_sql: dict[str, str],
) -> list[ShardTask]:
    return [
        ShardTask(
            path, plan.header, shard, file_import_id, context, directory / f"{n}.sqlite", table_sql
        )
        for n, shard in enumerate(plan.shards)
    ]


def _merged(
    outcomes: list[ShardOutcome], *, grouping: bool
) -> tuple[ImportSummary, list[Renames]] | None:
    """The file's summary and each shard's renames; None to parse it whole. The first shard in
    file order that was not parsed decides: an unsorted one stopped before its later rows, whose
    errors (and those of the shards after it) the whole parse must report in order."""
    summaries: list[ImportSummary] = []
    for outcome in outcomes:
        if isinstance(outcome, ShardRejected):
            raise outcome.error()
        if isinstance(outcome, ShardFailed):
            raise ImportWorkerError(f"An import worker failed: {outcome.reason}")
        if isinstance(outcome, ShardUnsorted):
            return None
        summaries.append(outcome.summary)
    if grouping and not _one_direction(summaries):
        return None
    merged = ImportSummary()
    return merged, [merged.merge(summary) for summary in summaries]


def _one_direction(summaries: list[ImportSummary]) -> bool:
    """Whether the timestamps of all shards, in order, only rise or only fall."""
    directions = {summary.ascending for summary in summaries} - {None}
    with_logs = [summary for summary in summaries if summary.first_timestamp is not None]
    for before, after in itertools.pairwise(with_logs):
        assert before.last_timestamp is not None and after.first_timestamp is not None
        if before.last_timestamp == after.first_timestamp:
            return False
        directions.add(after.first_timestamp > before.last_timestamp)
    return len(directions) <= 1


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    outcome: Connection
    rows_parsed: Any


def _run_workers(tasks: list[ShardTask], report: Report, cancel: Cancel) -> list[ShardOutcome]:
    workers: list[_Worker] = []
    try:
        for task in tasks:
            rows_parsed = PROCESSES.Value("q", 0, lock=False)
            receiver, sender = PROCESSES.Pipe(duplex=False)
            process = PROCESSES.Process(
                target=run_shard, args=(task, rows_parsed, sender), name="import-worker"
            )
            process.daemon = True
            try:
                process.start()
            except OSError as error:
                receiver.close()
                raise WorkersUnavailable(f"a worker could not start ({error})") from error
            finally:
                sender.close()
            workers.append(_Worker(process, receiver, rows_parsed))
        return _collect(workers, report, cancel)
    finally:
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join()
            worker.outcome.close()


def _collect(workers: list[_Worker], report: Report, cancel: Cancel) -> list[ShardOutcome]:
    outcomes: dict[int, ShardOutcome] = {}
    pending = {id(worker.outcome): index for index, worker in enumerate(workers)}
    reported = 0
    while pending:
        cancel.checkpoint()
        waiting = [workers[index].outcome for index in pending.values()]
        for ready in wait(waiting, timeout=POLL_SECONDS):
            assert isinstance(ready, Connection)
            index = pending.pop(id(ready))
            outcomes[index] = _receive(workers[index])
        parsed = sum(worker.rows_parsed.value for worker in workers)
        if parsed > reported:
            reported = parsed
            report(None, f"Parsing row {parsed}")
    return [outcomes[index] for index in range(len(workers))]


def _receive(worker: _Worker) -> ShardOutcome:
    try:
        outcome: ShardOutcome = worker.outcome.recv()
    except EOFError:
        worker.process.join()
        raise ImportWorkerError(
            f"An import worker stopped unexpectedly (exit code {worker.process.exitcode})"
        ) from None
    return outcome
