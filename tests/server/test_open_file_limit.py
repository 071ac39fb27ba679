"""Idle local connections do not use up the files the daemon may open: started under a low
soft limit, it raises the limit to the hard one, so an account can still be created while a
thousand connections sit open."""

import resource
import socket
from pathlib import Path

import orjson

from tests.daemon_process import cli, running_daemon

SOFT_LIMIT = 256
IDLE_CONNECTIONS = 1000


def low_soft_limit() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT_LIMIT, hard))


def open_files_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-file limit listed")


def test_idle_connections_leave_room_to_create_an_account(tmp_path: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard >= IDLE_CONNECTIONS + 200, "the machine's hard limit is too low for this test"
    data_dir = tmp_path / "data"
    idle: list[socket.socket] = []
    with running_daemon(data_dir, preexec=low_soft_limit) as (process, ready):
        try:
            assert open_files_limit(process.pid) == hard
            for _ in range(IDLE_CONNECTIONS):
                idle.append(socket.create_connection(("127.0.0.1", ready["port"])))
            created = cli("call", "--data-dir", str(data_dir), "createAccount", '"main"')
            assert created.returncode == 0, created.stderr
            names = cli("call", "--data-dir", str(data_dir), "getAccountNames")
            assert orjson.loads(names.stdout) == ["main"], names.stderr
        finally:
            for connection in idle:
                connection.close()
