"""SIGHUP (the terminal that runs the daemon closed) stops it as gracefully as SIGINT and
SIGTERM; a signal that came before the daemon's code could handle it (here: blocked by the
parent, and waiting) stops the start with its one line before anything is done; ``nohup`` keeps
SIGHUP ignored."""

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from privatefolio_daemon.start_signals import stop_signals
from tests.daemon_process import clean_environment, daemon_command


def signals_as_in_a_terminal() -> None:
    """SIGINT and SIGHUP on their defaults, whoever started the tests (a shell ignores SIGINT in
    background jobs, ``nohup`` ignores SIGHUP, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def test_sighup_stops_the_daemon_gracefully(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        daemon_command(data_dir, "--port", "0", "--print-ready"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
        preexec_fn=signals_as_in_a_terminal,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("{")
        assert (data_dir / "daemon.json").exists()
        process.send_signal(signal.SIGHUP)
        _, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert errors.splitlines()[-1].endswith(" INFO privatefolio_daemon.app: Shutting down")
    assert sorted(path.name for path in data_dir.iterdir()) == [
        "auth",
        "daemon.lock",
        "databases",
        "server-logs",
        "server.sqlite",  # checkpointed and closed: no -wal or -shm beside it
    ]


def waiting(signum: signal.Signals) -> Callable[[], None]:
    """The child starts with ``signum`` blocked: sent at once, it waits for the daemon to
    handle it, as one sent in its first moments would."""

    def block() -> None:
        signals_as_in_a_terminal()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signum})

    return block


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_before_the_daemon_loads_stops_its_start(tmp_path: Path, name: str) -> None:
    signum = signal.Signals[name]
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        daemon_command(data_dir, "--port", "0", "--print-ready"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
        preexec_fn=waiting(signum),
    )
    try:
        process.send_signal(signum)
        ready, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (process.returncode, ready) == (0, ""), errors
    assert errors == f"privatefolio-daemon: Stopped by {name} during start-up.\n"
    assert not data_dir.exists()  # it stopped before it did anything


@pytest.fixture
def sighup_ignored() -> Iterator[None]:
    """SIGHUP ignored in this process, as ``nohup`` starts a program."""
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGHUP, before)


@pytest.mark.usefixtures("sighup_ignored")
def test_a_daemon_started_with_nohup_keeps_ignoring_sighup() -> None:
    assert stop_signals() == (signal.SIGINT, signal.SIGTERM)
