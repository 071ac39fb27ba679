"""Where a running daemon listens, kept beside its lock so that the command line can find it.

``daemon.json`` holds ``{"pid", "host", "port"}`` from the moment the daemon listens until it
stops. A daemon started with ``--port 0`` (or any port) is then found by ``privatefolio-daemon
call``, ``backup`` and ``restore`` with the same data directory and no ``--port``. A file left
behind by a daemon that was killed names a process that no longer exists, and is ignored.
"""

import json
import os
from pathlib import Path

import psutil

ADDRESS_FILE = "daemon.json"


def write_address(data_dir: Path, host: str, port: int) -> None:
    path = data_dir / ADDRESS_FILE
    partial = path.with_name(f"{ADDRESS_FILE}.partial")
    partial.write_text(json.dumps({"pid": os.getpid(), "host": host, "port": port}), "utf-8")
    partial.replace(path)


def remove_address(data_dir: Path) -> None:
    (data_dir / ADDRESS_FILE).unlink(missing_ok=True)


def running_address(data_dir: Path) -> tuple[str, int] | None:
    """The host and port of the daemon running on ``data_dir``, or None if none says so."""
    recorded = recorded_address(data_dir)
    return None if recorded is None else recorded[1:]


def recorded_address(data_dir: Path) -> tuple[int, str, int] | None:
    """The pid, host and port ``daemon.json`` names, when that process runs."""
    try:
        address = json.loads((data_dir / ADDRESS_FILE).read_text("utf-8"))
        pid, host, port = address["pid"], address.get("host", "127.0.0.1"), address["port"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not (isinstance(pid, int) and isinstance(port, int) and isinstance(host, str)):
        return None
    if not psutil.pid_exists(pid):
        return None
    return pid, host, port


def running_port(data_dir: Path) -> int | None:
    """The port of the daemon running on ``data_dir``, or None if none says so."""
    address = running_address(data_dir)
    return None if address is None else address[1]
