"""The command line sends the desktop token only to the daemon holding the data dir's lock, at
the address it wrote down: another program listening on a port never receives it."""

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from privatefolio_daemon.store.instance_lock import InstanceLock
from tests.daemon_process import clean_environment, cli, running_daemon


@contextmanager
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A plain socket on a free loopback port that keeps what each connection sends."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                received.append(connection.recv(65536))

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join()
        server.close()


def cli_with_port(port: int, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean_environment(), "PORT": str(port)},
    )


def stopped_daemon(data_dir: Path) -> None:
    """A data dir whose daemon has made its token and stopped."""
    with running_daemon(data_dir) as (process, _):
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_no_token_reaches_a_listener_when_no_daemon_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stopped_daemon(data_dir)
    with listener() as (port, received):
        called = cli_with_port(port, "call", "--data-dir", str(data_dir), "getAccountNames")
        at_url = cli(
            "call", "--data-dir", str(data_dir), "--url", f"ws://127.0.0.1:{port}/", "ping"
        )
    assert received == []
    message = (
        f"privatefolio-daemon: no daemon runs on {data_dir}. Start one with "
        "`privatefolio-daemon serve` on the same --data-dir.\n"
    )
    assert (called.returncode, called.stdout, called.stderr) == (1, "", message)
    assert (at_url.returncode, at_url.stderr) == (1, message)


def test_no_token_reaches_another_port_than_the_running_daemons(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_daemon(data_dir) as (process, ready), listener() as (port, received):
        called = cli("call", "--data-dir", str(data_dir), "--port", str(port), "ping")
        backed_up = cli("backup", "main", "--data-dir", str(data_dir), "--port", str(port))
        found = cli("call", "--data-dir", str(data_dir), "ping")
    assert received == []
    message = (
        f"privatefolio-daemon: The privatefolio-daemon (pid {process.pid}) using {data_dir} "
        f"listens at ws://127.0.0.1:{ready['port']}/, not ws://127.0.0.1:{port}/, and only it is "
        f"sent the desktop token of {data_dir}. Leave out --port, --url and PORT to reach it.\n"
    )
    assert (called.returncode, called.stderr) == (1, message)
    assert (backed_up.returncode, backed_up.stderr) == (1, message)
    assert (found.returncode, found.stdout) == (0, '"pong"\n'), found.stderr


def test_no_token_reaches_a_listener_while_the_daemon_starts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stopped_daemon(data_dir)
    lock = InstanceLock(data_dir)  # a daemon's, before it listens and writes daemon.json
    lock.acquire()
    try:
        with listener() as (port, received):
            backed_up = cli_with_port(port, "backup", "main", "--data-dir", str(data_dir))
            called = cli_with_port(port, "call", "--data-dir", str(data_dir), "ping")
    finally:
        lock.release()
    assert received == []
    assert backed_up.returncode == called.returncode == 1
    assert backed_up.stderr == called.stderr
    assert backed_up.stderr.endswith(
        "is still starting (an upgrade of its databases can take a while); try again once it "
        "listens.\n"
    )
