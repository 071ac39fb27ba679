"""An account whose database is damaged (not a database, or corrupt): what to tell the user,
and its items set aside so that a backup can be restored in its place.

Nothing of a damaged account is deleted: its database (with the files SQLite keeps beside it)
becomes ``databases/<account>.sqlite.damaged-<ms>``, which never opens as an account, and its
files and logs ``files/<account>.damaged-<ms>`` and ``logs/<account>.damaged-<ms>``.
"""

import shlex
from dataclasses import dataclass
from pathlib import Path

from privatefolio_daemon.domain.accounts import AccountOpenError, AccountRegistry, shown_name
from privatefolio_daemon.domain.timeutil import now_ms

_SQLITE_SUFFIXES = ("-wal", "-shm", "-journal", "")


def with_damaged_advice(
    message: str, data_dir: Path, error: BaseException, *, at_start: bool
) -> str:
    """``message`` (which tells ``error``), and what to do when the error is an account's
    damaged database."""
    if not isinstance(error, AccountOpenError) or not error.damaged:
        return message
    without = (
        f"to start without it, move {error.path.name} out of {error.path.parent}; or "
        if at_start
        else ""
    )
    return (
        f"{message.rstrip('.')}. The database of account {shown_name(error.account)} is "
        f"damaged: {without}restore a backup into it with the daemon stopped: "
        f"{restore_command(data_dir, error.account)} (the damaged file is kept, as "
        f"{error.path.name}.damaged-<ms>)."
    )


def restore_command(data_dir: Path, account: str) -> str:
    """The command that restores a backup into ``account`` of ``data_dir``, quoted for a shell."""
    end_of_options = "-- " if account.startswith("-") else ""
    return (
        f"privatefolio-daemon restore --data-dir {shlex.quote(str(data_dir))} "
        f"{end_of_options}{shlex.quote(account)} <backup.zip>"
    )


@dataclass(frozen=True, slots=True)
class SetAside:
    """The items of a damaged account, moved aside: ``(where it was, where it is)``."""

    moves: list[tuple[Path, Path]]
    database: Path

    def followed(self, path: Path) -> Path:
        """Where ``path`` (a backup among the account's files, say) is now."""
        for was, now in self.moves:
            if path.is_relative_to(was):
                return now / path.relative_to(was)
        return path

    def put_back(self) -> None:
        """Back in place (a restore that failed), each item whose place is free."""
        for was, now in reversed(self.moves):
            if now.exists() and not was.exists():
                now.rename(was)


def set_aside(registry: AccountRegistry, account: str) -> SetAside:
    """Move the damaged account's items aside; its database last, so that an account whose
    database is still in place has its files and logs too."""
    database, *folders = (
        _resolved_folder(path)
        for path in (
            registry.db_path(account),
            registry.files_dir(account),
            registry.logs_dir(account),
        )
    )
    stamp = now_ms()
    while True:
        moves = [(folder, folder.with_name(f"{folder.name}.damaged-{stamp}")) for folder in folders]
        kept = database.with_name(f"{database.name}.damaged-{stamp}")
        moves += [
            (database.with_name(f"{database.name}{suffix}"), kept.with_name(f"{kept.name}{suffix}"))
            for suffix in _SQLITE_SUFFIXES
        ]
        if not any(now.exists() for _, now in moves):
            break
        stamp += 1
    done = [(was, now) for was, now in moves if was.exists()]
    for was, now in done:
        was.rename(now)
    return SetAside(done, kept)


def _resolved_folder(path: Path) -> Path:
    """``path`` in its folder resolved, as a backup's path is given; a link it is stays one."""
    return path.parent.resolve() / path.name
