"""Ctrl-C during ``privatefolio-daemon restore`` on the data dir stops the restore before its
swap, leaves no trace of it (an account it created is removed), and says so without a traceback."""

import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import orjson

from tests.backup.helpers import table_digests
from tests.backup.test_backup_cli import cli, make_account
from tests.backup.test_restore_into_new_account import traces_of
from tests.daemon_process import clean_environment

INTERRUPTED = "privatefolio-daemon: The restore was interrupted; the account is as it was.\n"


def with_a_large_file(backup: Path, large: Path) -> None:
    """The backup with a big file added (and listed), so that checking it takes a while."""
    content = os.urandom(96 * 2**20)
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(large, "w") as target:
        manifest = orjson.loads(source.read("manifest.json"))
        manifest["entries"].append(
            {"name": "files/1", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        )
        for entry in source.infolist():
            if entry.filename != "manifest.json":
                target.writestr(entry, source.read(entry))
        target.writestr("manifest.json", orjson.dumps(manifest))
        target.writestr("files/1", content)


def interrupted_once_checking(data_dir: Path, account: str, archive: Path) -> tuple[int, str]:
    """Run the restore and press Ctrl-C once it has started checking the archive."""
    command = [sys.executable, "-m", "privatefolio_daemon", "restore", account, str(archive)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        stderr=subprocess.PIPE,
        env=clean_environment(),
    )
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + 60
    while b"Checking the backup archive" not in seen and time.monotonic() < deadline:
        chunk = os.read(process.stderr.fileno(), 4096)
        assert chunk, seen.decode()
        seen += chunk
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    return process.wait(timeout=60), (seen + rest).decode()


async def test_ctrl_c_stops_a_restore_into_a_new_account_and_removes_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 50, seed=1)
    backup = tmp_path / "main.zip"
    assert cli("backup", "main", "-o", str(backup), "--data-dir", str(data_dir)).returncode == 0
    archive = tmp_path / "large.zip"
    with_a_large_file(backup, archive)

    code, stderr = interrupted_once_checking(data_dir, "brandnew", archive)

    assert code == 1, stderr
    assert stderr.endswith(INTERRUPTED)
    assert "Traceback" not in stderr
    assert traces_of(data_dir, "brandnew") == []
    assert sorted(path.name for path in (data_dir / "databases").iterdir()) == ["main.sqlite"]
    assert list((data_dir / "restore-staging").glob("*/*")) == []
    assert table_digests(data_dir / "databases" / "main.sqlite") == original
