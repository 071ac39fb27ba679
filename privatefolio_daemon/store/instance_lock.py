"""The single-instance lock on a data directory: one daemon per data dir."""

import os
import sys
from pathlib import Path
from typing import IO

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl


class AlreadyRunning(Exception):
    """Another daemon holds the lock on this data directory."""


class InstanceLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "daemon.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            _lock(handle)
        except OSError as error:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"Another privatefolio-daemon (pid {holder}) is already using {self.path.parent}. "
                "Stop it first, or start this one with another --data-dir."
            ) from error
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.close()
            self._file = None


def _lock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
