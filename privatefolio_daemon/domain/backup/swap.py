"""Swapping an account's database, files and logs for restored ones, crash-safely.

Three paths (the database, the files dir, the logs dir) cannot be renamed in one go, so a small
journal (``databases/<account>.restore.json``, replaced atomically) says how far a swap went:

- ``staged``: the new items sit beside the live ones as ``<item>.restore-<ts>.new``;
- ``swapping``: live items are being renamed to ``<item>.pre-restore-<ts>`` and the new ones
  into their place (each a rename within one directory);
- ``committed``: the new account is open and verified; the previous items may go.

After a crash, ``recover_restores`` at start-up rolls ``staged`` and ``swapping`` back to the
previous account and finishes ``committed`` ones: never a mix, never a missing database. The
journal of a daemon's restore also keeps its task row, which that start writes
(``restore_task_row.py``).

A settled swap's items that cannot be deleted (a file something holds) are listed in
``databases/<account>.restore-<ts>.leftovers.json``, logged, and tried again at each start. A
journal that cannot be removed, committed or rolled back, is settled again by the next start, or
before the account's next restore (``settle_left``); the account is open meanwhile.
"""

import logging
import shutil
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from privatefolio_daemon.domain.backup.restore_task_row import TaskRow, write_task_row
from privatefolio_daemon.store.durable_files import sync_directory, write_durably

log = logging.getLogger(__name__)

StepHook = Callable[[str], None]
STAGING_DIR = "restore-staging"
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
_LEFTOVERS = ".leftovers.json"
#: A path to delete, and whether it is a database (its -wal, -shm and -journal go with it).
Leftover = tuple[Path, bool]


@dataclass(frozen=True, slots=True)
class SwapItem:
    kind: str  # "database", "files" or "logs"
    live: Path
    stamp: int

    @property
    def new(self) -> Path:
        return self.live.with_name(f"{self.live.name}.restore-{self.stamp}.new")

    @property
    def previous(self) -> Path:
        return self.live.with_name(f"{self.live.name}.pre-restore-{self.stamp}")


@dataclass(slots=True)
class SwapJournal:
    path: Path
    account: str
    items: list[SwapItem]
    phase: str = "staged"
    had_live: dict[str, bool] | None = None
    task: TaskRow | None = None
    """The restore's task row, written by ``recover_restores`` after a crash (none offline)."""

    def write(self, phase: str) -> None:
        data: dict[str, Any] = {
            "account": self.account,
            "phase": phase,
            "items": [
                {"kind": item.kind, "live": str(item.live), "stamp": item.stamp}
                for item in self.items
            ],
            "hadLive": self.had_live,
            "task": None if self.task is None else self.task.to_json(),
        }
        write_durably(self.path, orjson.dumps(data))
        self.phase = phase

    @classmethod
    def read(cls, path: Path) -> "SwapJournal":
        data = orjson.loads(path.read_bytes())
        items = [SwapItem(i["kind"], Path(i["live"]), int(i["stamp"])) for i in data["items"]]
        task = None if data.get("task") is None else TaskRow.from_json(data["task"])
        return cls(path, data["account"], items, data["phase"], data.get("hadLive"), task)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        sync_directory(self.path.parent)


def swap_in(journal: SwapJournal, step: StepHook) -> None:
    """Move the live items aside and the new ones into place (the account must be closed)."""
    journal.had_live = {item.kind: _exists(item.live) for item in journal.items}
    journal.write("swapping")
    step("journal-swapping")
    for item in journal.items:
        if journal.had_live[item.kind]:
            _move(item.live, item.previous, database=item.kind == "database")
            step(f"moved-previous-{item.kind}")
        if _exists(item.new):
            item.new.rename(item.live)
        step(f"moved-new-{item.kind}")
    for directory in {item.live.parent for item in journal.items}:
        sync_directory(directory)


def roll_back(journal: SwapJournal) -> None:
    """Put the previous items back and drop the new ones; safe to repeat after a crash, and on
    the journal of a rollback that could not remove it (nothing is aside then, and the live
    items, which the account may have changed since, stay). Raises ``OSError`` only while an item
    cannot be put back; what cannot be settled after that is logged, as ``finish`` does."""
    if journal.phase == "swapping" and _any_aside(journal):
        # Backwards: the database, moved aside first, comes back last, so that while anything
        # of the restore is live, the previous database is aside.
        for item in reversed(journal.items):
            _put_back(journal, item)
    for directory in {item.live.parent for item in journal.items}:
        sync_directory(directory)
    garbage = [(item.new, item.kind == "database") for item in journal.items]
    _settle_or_log(journal, garbage, "was rolled back")


def finish(journal: SwapJournal) -> None:
    """Drop the previous items of a committed swap. It never fails: the swap is done, and what
    cannot be settled now (an item that stays, the list of leftovers or the journal that cannot
    be written or removed) is logged, and settled at the next start from the journal."""
    garbage = [
        (path, item.kind == "database")
        for item in journal.items
        for path in (item.previous, item.new)
    ]
    _settle_or_log(journal, garbage, "is done")


def _any_aside(journal: SwapJournal) -> bool:
    return any(_exists(item.previous) for item in journal.items)


def _put_back(journal: SwapJournal, item: SwapItem) -> None:
    database = item.kind == "database"
    if not (journal.had_live or {}).get(item.kind, True):
        _remove(item.live, database=database)
    elif _exists(item.previous):
        _remove(item.live, database=database)
        _move(item.previous, item.live, database=database)


def _settle_or_log(journal: SwapJournal, garbage: list[Leftover], outcome: str) -> None:
    try:
        _settle(journal, garbage)
    except OSError as error:
        log.error(
            "The restore of %s %s, but its journal %s could not be settled (%s); the next start, "
            "or the account's next restore, settles it",
            journal.account,
            outcome,
            journal.path,
            error,
        )


def settle_left(journal: SwapJournal) -> None:
    """Settle the journal of a restore that has ended, beside its account open again: it could
    not be removed then. What that restore left goes (never a live item: a rolled-back restore
    put the previous ones back before its journal was to go), then the journal. Raises
    ``OSError`` while the journal still cannot be removed."""
    committed = journal.phase == "committed"
    garbage = [
        (path, item.kind == "database")
        for item in journal.items
        for path in ((item.previous, item.new) if committed else (item.new,))
    ]
    _settle(journal, garbage)


def _settle(journal: SwapJournal, garbage: list[Leftover]) -> None:
    """Delete ``garbage``, list what stays for the next start, and drop the journal."""
    left = _remove_all(journal.account, garbage)
    if left:
        stamp = journal.items[0].stamp
        _write_leftovers(
            journal.path.with_name(f"{journal.account}.restore-{stamp}{_LEFTOVERS}"),
            journal.account,
            left,
        )
    journal.remove()


def _remove_all(account: str, garbage: list[Leftover]) -> list[Leftover]:
    left = []
    for path, database in garbage:
        try:
            _remove(path, database=database)
        except OSError as error:
            log.error(
                "Could not delete %s, left by the restore of %s (%s); the next start tries again",
                path,
                account,
                error,
            )
            left.append((path, database))
    return left


def _write_leftovers(path: Path, account: str, left: list[Leftover]) -> None:
    paths = [{"path": str(item), "database": database} for item, database in left]
    write_durably(path, orjson.dumps({"account": account, "paths": paths}))


def _retry_leftovers(databases_dir: Path) -> None:
    for path in sorted(databases_dir.glob(f"*{_LEFTOVERS}")):
        try:
            data = orjson.loads(path.read_bytes())
            account = str(data["account"])
            garbage = [(Path(item["path"]), bool(item["database"])) for item in data["paths"]]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            log.error("Cannot read the list of restore leftovers %s (%s)", path, error)
            continue
        left = _remove_all(account, garbage)
        try:
            if left:
                _write_leftovers(path, account, left)
            else:
                path.unlink()
        except OSError as error:
            log.error("Cannot update the list of restore leftovers %s (%s)", path, error)


def recover_restores(databases_dir: Path, data_dir: Path) -> list[str]:
    """At start-up: settle every interrupted restore; returns ``"<account>: <outcome>"`` lines."""
    _retry_leftovers(databases_dir)
    outcomes = []
    for path in sorted(databases_dir.glob("*.restore.json")):
        try:
            journal = SwapJournal.read(path)
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            log.error("Cannot read the restore journal %s (%s); left as it is", path, error)
            continue
        if journal.phase == "committed":
            _write_task_row(journal, committed=True)  # before the journal goes: safe to repeat
            finish(journal)
            outcomes.append(f"{journal.account}: restore completed")
        else:
            roll_back(journal)
            _write_task_row(journal, committed=False)
            outcomes.append(f"{journal.account}: restore rolled back")
        log.warning("Interrupted restore of %s", outcomes[-1])
    for pattern in ("*.restore.json.tmp", f"*{_LEFTOVERS}.tmp"):
        for partial in databases_dir.glob(pattern):
            partial.unlink(missing_ok=True)
    shutil.rmtree(data_dir / STAGING_DIR, ignore_errors=True)
    for leftover in (data_dir / "files").glob("*/.backup-*"):
        try:
            leftover.unlink(missing_ok=True)
        except OSError as error:
            log.error("Could not delete %s, a backup's temporary file (%s)", leftover, error)
    return outcomes


def _write_task_row(journal: SwapJournal, *, committed: bool) -> None:
    if journal.task is None:
        return
    live = {item.kind: item.live for item in journal.items}
    try:
        write_task_row(live["database"], live["logs"], journal.task, committed=committed)
    except (OSError, sqlite3.Error) as error:
        log.error(
            "Could not write the row of restore task %d into the account %s (%s)",
            journal.task.task_id,
            journal.account,
            error,
        )


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _move(source: Path, target: Path, *, database: bool) -> None:
    source.rename(target)
    if database:
        for suffix in _SQLITE_COMPANIONS:
            companion = source.with_name(source.name + suffix)
            if companion.exists():
                companion.rename(target.with_name(target.name + suffix))


def _remove(path: Path, *, database: bool) -> None:
    if database:
        for suffix in _SQLITE_COMPANIONS:  # a stale WAL must never meet another database
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    if not path.is_dir() or path.is_symlink():
        path.unlink(missing_ok=True)
    elif sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=lambda _, name, error: _name_the_path(name, error))
    else:
        shutil.rmtree(path, onerror=lambda _, name, info: _name_the_path(name, info[1]))


def _name_the_path(name: str, error: BaseException) -> None:
    """rmtree's errors name an entry without its directory ("'1'"): name the whole path."""
    if isinstance(error, OSError):
        raise OSError(error.errno, error.strerror, name) from error
    raise error
