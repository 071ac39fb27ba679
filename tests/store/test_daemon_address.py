"""The address file of a running daemon: what the command line reads to find it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from privatefolio_daemon.store.daemon_address import (
    ADDRESS_FILE,
    remove_address,
    running_port,
    write_address,
)


def test_the_port_written_is_the_port_read(tmp_path: Path) -> None:
    write_address(tmp_path, "127.0.0.1", 40123)
    assert running_port(tmp_path) == 40123
    remove_address(tmp_path)
    assert running_port(tmp_path) is None


def test_a_file_left_by_a_process_that_is_gone_is_ignored(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    gone = int(finished.stdout)
    (tmp_path / ADDRESS_FILE).write_text(json.dumps({"pid": gone, "host": "x", "port": 4001}))
    assert running_port(tmp_path) is None


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    for text in ("", "{", "[]", '{"pid": "1", "port": 5}', json.dumps({"pid": os.getpid()})):
        (tmp_path / ADDRESS_FILE).write_text(text)
        assert running_port(tmp_path) is None
