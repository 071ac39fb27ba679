"""Running the daemon as a real process, the way Electron or a shell starts it."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson


def daemon_command(
    data_dir: Path, *extra: str, command: str | None = "serve", crons: bool = False
) -> list[str]:
    """The command line; ``command=None`` leaves out ``serve``, the default command."""
    words = [sys.executable, "-m", "privatefolio_daemon"] + ([command] if command else [])
    return [*words, "--data-dir", str(data_dir), *([] if crons else ["--no-crons"]), *extra]


def _limit_file_size(limit: int) -> Callable[[], None]:
    def limit_file_size() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_file_size


def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """One ``privatefolio-daemon`` command, run to its end as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )


def clean_environment() -> dict[str, str]:
    names = ("PORT", "HOST", "DATA_LOCATION", "ALLOWED_ORIGINS", "ALLOWED_HOSTS", "FRONTEND_DIR")
    return {key: value for key, value in os.environ.items() if key not in names}


@contextmanager
def running_daemon(
    data_dir: Path,
    *extra: str,
    command: str | None = "serve",
    file_size_limit: int | None = None,
    preexec: Callable[[], None] | None = None,
    crons: bool = False,
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """Start the daemon with ``--print-ready --port 0`` and yield it with its ready line.

    With ``file_size_limit`` (POSIX), a write that would make a file larger fails as it would
    on a full disk: SQLite says "database or disk is full". ``preexec`` runs in the daemon's
    process before it starts (POSIX), say to set its limits. With ``crons`` the scheduled jobs
    run, as they do outside the tests."""
    if file_size_limit is not None:
        preexec = _limit_file_size(file_size_limit)
    process = subprocess.Popen(
        daemon_command(
            data_dir, "--port", "0", "--print-ready", *extra, command=command, crons=crons
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
        preexec_fn=preexec,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"daemon did not start: {process.communicate(timeout=10)}")
        yield process, orjson.loads(line)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
