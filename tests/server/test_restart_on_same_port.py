"""A daemon restarted on the port it just left listens at once, despite TIME-WAIT sockets."""

import signal
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import psutil

from tests.daemon_process import clean_environment, daemon_command, running_daemon


def connections_in_time_wait(port: int) -> int:
    return sum(
        1
        for connection in psutil.net_connections(kind="tcp")
        if connection.status == psutil.CONN_TIME_WAIT
        and connection.laddr
        and connection.laddr.port == port
    )


def ping_until_the_daemon_closes(port: int) -> bytes:
    """``GET /ping`` asking the daemon to close, read to the end: the daemon closes first, so its
    side of the connection is the one left in TIME-WAIT."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_daemon_restarted_on_the_same_port_starts_at_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_daemon(data_dir) as (first, ready):
        port = ready["port"]
        call = subprocess.run(
            [sys.executable, "-m", "privatefolio_daemon", "call", "--data-dir", str(data_dir),
             "--port", str(port), "createAccount", '"main"'],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_environment(),
        )  # fmt: skip
        assert call.returncode == 0, call.stderr
        assert ping_until_the_daemon_closes(port).endswith(b"pong")
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=15) == 0
    if sys.platform == "linux":
        assert connections_in_time_wait(port) > 0
    with subprocess.Popen(
        daemon_command(data_dir, "--port", str(port), "--print-ready"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_environment(),
    ) as second:
        try:
            assert second.stdout is not None
            ready_line = second.stdout.readline()
        finally:
            second.terminate()
    assert ready_line.startswith("{"), ready_line  # not the port-in-use message
    assert orjson.loads(ready_line)["port"] == port
