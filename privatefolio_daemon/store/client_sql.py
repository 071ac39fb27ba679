"""Running SQL that the frontend sends, safely.

The Privatefolio frontend builds ``SELECT … LIMIT n OFFSET m`` strings for its tables. They run only
on a read-only connection (``mode=ro`` and ``query_only``), under an authorizer that allows reading
and nothing else (no writes, no ATTACH, no extensions, no PRAGMA that changes anything), and under
a time budget. Limits keep one query from taking the daemon's memory: a value at most
``MAX_VALUE_BYTES``, at most ``MAX_COLUMNS`` columns, a result of at most ``MAX_RESULT_ROWS``
rows and ``MAX_RESULT_CHARACTERS`` characters of text, and WITH clauses that SQLite's compiler
copies at most ``MAX_CTE_COPIES`` times (no interrupt stops a compile). A method may have columns
of the daemon's own read as NULL (``unread``) and fill them in itself, uncapped.

``executeSql``, the power user's statement, runs on the writer under a second authorizer: it may
read and change rows, but not the schema, a PRAGMA, ATTACH, the transaction, the sync feed or
SQLite's own tables.
"""

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.answer_memory import ReadTally
from privatefolio_daemon.store.cte_expansion import cte_copies
from privatefolio_daemon.store.database import Row, with_time_budget

_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_READ_ONLY_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info"})
#: Functions that reach past SQL: ``fts3_tokenizer`` reads and sets a native pointer (a crash, or
#: worse), ``fts5`` hands one out, ``load_extension`` loads native code.
DENIED_FUNCTIONS = frozenset({"fts3_tokenizer", "fts5", "load_extension"})
MAX_VALUE_BYTES = 8 * 1024 * 1024
MAX_COLUMNS = 100
MAX_RESULT_CHARACTERS = 64 * 1024 * 1024
MAX_RESULT_ROWS = 200_000
MAX_CTE_COPIES = 10_000
#: What a value other than a text counts toward an answer's memory (``answer_memory``).
OTHER_VALUE_BYTES = 8
_FETCH_ROWS = 512


class UnsafeQuery(Exception):
    """The query tries to do more than read."""


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: str | None) -> int:
    if action == sqlite3.SQLITE_FUNCTION:
        return (
            sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS else sqlite3.SQLITE_OK
        )
    if action in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_ONLY_PRAGMAS:
        return sqlite3.SQLITE_OK  # its argument names a table or an index: it only reads
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        # Asked by a table-valued PRAGMA (``pragma_table_info('trades')``) as SQLite declares it;
        # the statement that would change the schema is refused by SQLite on any connection.
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _refusal_of(action: int, arg2: str | None) -> str | None:
    """Why ``_authorize`` refused a step, where the generic message would mislead."""
    if action == sqlite3.SQLITE_FUNCTION:
        return f"The function {arg2}() is not allowed"
    return None


@dataclass(slots=True)
class _ReadGuard:
    """``unread``: the ``(table, column)`` pairs (lower case) read as NULL; ``reads`` counts how
    often the statement names each."""

    refusal: str | None = None
    unread: frozenset[tuple[str, str]] = frozenset()
    reads: dict[tuple[str, str], int] = field(default_factory=dict)

    def __call__(self, action: int, arg1: str | None, arg2: str | None, *_: str | None) -> int:
        if action == sqlite3.SQLITE_READ and self.unread:
            column = ((arg1 or "").lower(), (arg2 or "").lower())
            if column in self.unread:
                self.reads[column] = self.reads.get(column, 0) + 1
                return sqlite3.SQLITE_IGNORE
        verdict = _authorize(action, arg1, arg2)
        if verdict != sqlite3.SQLITE_OK and self.refusal is None:
            self.refusal = _refusal_of(action, arg2)
        return verdict


def run_client_query(
    connection: sqlite3.Connection,
    sql: str,
    params: Sequence[Any],
    budget_seconds: float,
    unread: frozenset[tuple[str, str]] = frozenset(),
) -> list[Row]:
    """Rows of a frontend query. Raises ``UnsafeQuery`` for anything but a read.

    The columns ``unread`` (``(table, column)`` pairs, lower case) come back NULL, so that no
    value of theirs meets the caps; a statement that names one more than once (to filter or
    sort by it, not only to return it) raises ``ColumnUsed``, as NULL would change its rows."""
    if not sql.strip():
        raise UnsafeQuery("The query is empty")
    guard = _ReadGuard(unread=unread)
    rows = _run_guarded(
        connection, sql, params, budget_seconds, guard, lambda: guard.refusal, ReadTally()
    )
    if any(count > 1 for count in guard.reads.values()):
        raise ColumnUsed(sorted(column for column, count in guard.reads.items() if count > 1))
    return rows


class QueryFailed(Exception):
    """SQLite refused the statement (a syntax error, a missing table, a constraint)."""


class ValueTooLarge(QueryFailed):
    """A value of the result passed ``MAX_VALUE_BYTES``."""


class ColumnUsed(Exception):
    """A statement named a column it was to read as NULL other than to return it."""


class ResultTooLarge(QueryFailed):
    """The result passed ``MAX_RESULT_ROWS`` or ``MAX_RESULT_CHARACTERS``: ``size`` says which,
    ``remedy`` how to read it in parts."""

    def __init__(self, size: str, remedy: str) -> None:
        super().__init__(f"{size}: {remedy}")
        self.size = size


Authorizer = Callable[..., int]


def _run_guarded(
    connection: sqlite3.Connection,
    sql: str,
    params: Sequence[Any],
    budget_seconds: float,
    authorizer: Authorizer,
    refusal: Callable[[], str | None] | None,
    tally: ReadTally | None = None,
) -> list[Row]:
    _check_bindable(params)
    _check_cte_copies(sql)
    connection.set_authorizer(authorizer)
    limits = _set_limits(connection, {LENGTH: MAX_VALUE_BYTES, COLUMNS: MAX_COLUMNS})
    try:
        return with_time_budget(
            connection,
            budget_seconds,
            lambda conn: _all_rows(conn, sql, params, tally),
        )
    except sqlite3.DatabaseError as error:
        text = str(error)
        if "too big" in text or "too many columns" in text:
            failure = ValueTooLarge if "too big" in text else QueryFailed
            raise failure(
                f"The statement failed: {text} (a query may return at most {MAX_COLUMNS} "
                f"columns and values of at most {MAX_VALUE_BYTES // 1024 // 1024} MiB)"
            ) from error
        if "not authorized" in text or "prohibited" in text or "authorization denied" in text:
            reason = refusal() if refusal is not None else None
            raise UnsafeQuery(reason or f"Only reading queries are allowed: {sql}") from error
        if "cannot VACUUM" in text:  # VACUUM asks no authorizer; the transaction stops it
            raise UnsafeQuery(ROWS_ONLY) from error
        if "one statement at a time" in text:
            raise UnsafeQuery(f"Only one statement is allowed: {sql}") from error
        # a syntax error, a missing table or column, a constraint, parameters that do not fit
        if isinstance(
            error, sqlite3.OperationalError | sqlite3.IntegrityError | sqlite3.ProgrammingError
        ):
            raise QueryFailed(f"The statement failed: {text}") from error
        raise
    finally:
        _set_limits(connection, limits)
        connection.set_authorizer(None)


def _check_cte_copies(sql: str) -> None:
    """Refuse a statement whose CTEs SQLite would copy past any time budget while compiling it,
    which no interrupt stops."""
    copies = cte_copies(sql)
    if copies > MAX_CTE_COPIES:
        raise QueryFailed(
            f"The statement is too complex: its WITH clauses would be compiled into {copies:,} "
            f"copies of their subqueries (at most {MAX_CTE_COPIES:,})"
        )


def _check_bindable(params: Sequence[Any]) -> None:
    """Refuse a value SQLite cannot bind before it is tried: the sqlite3 module then reports a
    statement from its cache with the message of the connection's last error, another query's."""
    for number, value in enumerate(params, 1):
        if value is not None and not isinstance(value, int | float | str | bytes):
            raise QueryFailed(
                f"The statement failed: Error binding parameter {number}: "
                f"type '{type(value).__name__}' is not supported"
            )


ROWS_ONLY = (
    "executeSql reads and changes rows only: no schema change, PRAGMA, ATTACH, VACUUM or "
    "transaction control"
)
LENGTH = sqlite3.SQLITE_LIMIT_LENGTH
COLUMNS = sqlite3.SQLITE_LIMIT_COLUMN


def _set_limits(connection: sqlite3.Connection, limits: dict[int, int]) -> dict[int, int]:
    """Set SQLite's run-time limits; returns the previous ones."""
    return {limit: connection.setlimit(limit, value) for limit, value in limits.items()}


def _all_rows(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any], tally: ReadTally | None
) -> list[Row]:
    """The statement's rows; its cursor closed however the read ends, so that a read stopped
    early leaves no statement open on the connection (and no snapshot of the file held)."""
    with contextlib.closing(connection.execute(sql, tuple(params))) as cursor:
        return _bounded_rows(cursor, tally)


def _bounded_rows(cursor: sqlite3.Cursor, tally: ReadTally | None) -> list[Row]:
    """All rows, refused once they pass ``MAX_RESULT_ROWS`` or their text passes
    ``MAX_RESULT_CHARACTERS`` (checked row by row, so a refused result never sits in memory
    whole), or once one holds a BLOB, which JSON cannot carry. ``tally`` counts their values
    toward the answer they are read for (``answer_memory``), which may stop the read."""
    rows: list[Row] = []
    characters = 0
    while batch := cursor.fetchmany(_FETCH_ROWS):
        before = characters
        others = 0
        for row in batch:
            for value in row:
                kind = type(value)
                if kind is str:
                    characters += len(value)
                elif kind is bytes:
                    raise QueryFailed(
                        "The query returned binary data (a BLOB), which cannot be sent as "
                        "JSON: select hex(column) instead"
                    )
                else:
                    others += 1
            if characters > MAX_RESULT_CHARACTERS:
                raise ResultTooLarge(
                    f"The result is larger than {MAX_RESULT_CHARACTERS // 1024 // 1024} MiB of "
                    "text",
                    "add a LIMIT or select fewer columns",
                )
        if tally is not None:
            tally.add(characters - before + others * OTHER_VALUE_BYTES)
        rows.extend(batch)
        if len(rows) > MAX_RESULT_ROWS:
            raise ResultTooLarge(
                f"The result has more than {MAX_RESULT_ROWS:,} rows",
                "add a LIMIT, or read it in pages with LIMIT and OFFSET",
            )
    return rows


#: Tables a statement may not change: the sync feed is a record of changes made through the
#: daemon, and ``sqlite_sequence`` keeps ids from being used twice.
PROTECTED_TABLES = frozenset({"sync_changes", "sync_events", "sqlite_sequence"})
_ROW_WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})


@dataclass(slots=True)
class _RowWriteGuard:
    """Allows reading and row changes; remembers the tables changed and why a statement was
    refused."""

    written: set[str] = field(default_factory=set)
    refusal: str | None = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, *_: str | None) -> int:
        if _authorize(action, arg1, arg2) == sqlite3.SQLITE_OK:
            return sqlite3.SQLITE_OK
        if (reason := _refusal_of(action, arg2)) is not None:
            return self._refuse(reason)
        if action in _ROW_WRITES and arg1 in PROTECTED_TABLES:
            return self._refuse(f"The table {arg1} is the daemon's own and cannot be changed")
        if action in _ROW_WRITES and arg1 is not None and not arg1.startswith("sqlite_"):
            self.written.add(arg1)
            return sqlite3.SQLITE_OK
        return self._refuse(ROWS_ONLY)  # the schema tables are written by schema changes only

    def _refuse(self, reason: str) -> int:
        if self.refusal is None:
            self.refusal = reason
        return sqlite3.SQLITE_DENY


def tables_changed_by(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> frozenset[str]:
    """The tables a statement would change, learned by compiling it (``EXPLAIN``) without running
    it; none if it does not compile, or is refused (running it then says why)."""
    if cte_copies(sql) > MAX_CTE_COPIES:
        return frozenset()  # running it says why
    guard = _RowWriteGuard()
    connection.set_authorizer(guard)
    try:
        connection.execute(f"EXPLAIN {sql}", tuple(params)).fetchall()
    except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError):
        return frozenset()
    finally:
        connection.set_authorizer(None)
    return frozenset() if guard.refusal is not None else frozenset(guard.written)


def tables_read_by(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> frozenset[str]:
    """The tables and views (lower case) a statement would read, learned by compiling it
    (``EXPLAIN``) without running it: those named before it fails to compile, if it does, which
    it then also does when run, reading nothing."""
    if cte_copies(sql) > MAX_CTE_COPIES:
        return frozenset()  # running it is refused
    read: set[str] = set()

    def collect(action: int, arg1: str | None, *_: str | None) -> int:
        if action == sqlite3.SQLITE_READ and arg1 is not None:
            read.add(arg1.lower())
        return sqlite3.SQLITE_OK

    connection.set_authorizer(collect)
    try:
        connection.execute(f"EXPLAIN {sql}", tuple(params)).fetchall()
    except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError):
        pass  # a statement that does not compile; parameters that do not fit, once compiled
    finally:
        connection.set_authorizer(None)
    return frozenset(read)


@dataclass(frozen=True, slots=True)
class StatementResult:
    rows: list[Row]
    changed_tables: frozenset[str]
    changes: int


def run_row_statement(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any], budget_seconds: float
) -> StatementResult:
    """One statement that reads or changes rows, inside the caller's transaction. Raises
    ``UnsafeQuery`` for anything else."""
    if not sql.strip():
        raise UnsafeQuery("The statement is empty")
    guard = _RowWriteGuard()
    before = connection.total_changes
    rows = _run_guarded(connection, sql, params, budget_seconds, guard, lambda: guard.refusal)
    changes = connection.total_changes - before
    return StatementResult(rows, frozenset(guard.written) if changes else frozenset(), changes)
