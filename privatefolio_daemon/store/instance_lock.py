"""The single-instance lock on a data directory: one daemon per data dir.

The daemon holds it while it runs, and so do the ``backup`` and ``restore`` commands that work
on the data dir without one. The lock file says who holds it, ``<pid> <holder>``, so that the
others can say what they wait for.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

LOCK_FILE = "daemon.lock"
DAEMON = "daemon"
#: What the holders that are no daemon are called in a message.
_OFFLINE = {"backup": "An offline backup", "restore": "An offline restore"}


@dataclass(frozen=True, slots=True)
class LockHolder:
    pid: str
    holder: str = DAEMON

    @property
    def is_daemon(self) -> bool:
        return self.holder not in _OFFLINE

    def using(self, data_dir: Path) -> str:
        """``An offline backup (pid 12) is using <data dir>`` and the like."""
        who = _OFFLINE.get(self.holder, "Another privatefolio-daemon")
        return f"{who} (pid {self.pid}) is using {data_dir}"


class AlreadyRunning(Exception):
    """Another daemon, or an offline backup or restore, holds the lock on this data directory."""

    def __init__(self, data_dir: Path, holder: LockHolder) -> None:
        self.holder = holder
        if holder.is_daemon:
            message = (
                f"Another privatefolio-daemon (pid {holder.pid}) is already using {data_dir}. "
                "Stop it first, or start this one with another --data-dir."
            )
        else:
            message = f"{holder.using(data_dir)}; wait for it to finish, then start the daemon."
        super().__init__(message)


class InstanceLock:
    def __init__(self, data_dir: Path, holder: str = DAEMON) -> None:
        self.path = data_dir / LOCK_FILE
        self._holder = holder
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            _lock(handle)
        except OSError as error:
            handle.seek(0)
            holder = _parse(handle.read())
            handle.close()
            raise AlreadyRunning(self.path.parent, holder) from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self._holder}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.close()
            self._file = None


def lock_holder(data_dir: Path) -> LockHolder | None:
    """Who holds the lock on ``data_dir`` as its file says, without taking it: None when it
    names no process that runs (a lock released, or left by a process that was killed)."""
    try:
        text = (data_dir / LOCK_FILE).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    holder = _parse(text)
    if not holder.pid.isdigit() or not psutil.pid_exists(int(holder.pid)):
        return None
    return holder


def _parse(text: str) -> LockHolder:
    """``<pid> <holder>``; an earlier version wrote the daemon's pid alone."""
    pid, _, holder = text.strip().partition(" ")
    return LockHolder(pid or "unknown", holder.strip() or DAEMON)


def _lock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
