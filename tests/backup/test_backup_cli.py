"""``privatefolio-daemon backup`` and ``restore``, with the daemon stopped and with it running."""

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.helpers import fill_account, restored_digests
from tests.conftest import make_config
from tests.daemon_process import clean_environment, running_daemon


def cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", *arguments],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=120,
        cwd=cwd,
    )


async def make_account(data_dir: Path, rows: int, seed: int) -> dict[str, str]:
    """Create (or refill) the account "main" with the daemon, then stop it."""
    daemon = Daemon(make_config(data_dir))
    await daemon.start()
    try:
        await daemon.accounts.create("main")
        await daemon.accounts.reset("main")
        await daemon.accounts.get("main").write(lambda conn: fill_account(conn, rows, seed))
    finally:
        await daemon.stop()
    return restored_digests(data_dir / "databases" / "main.sqlite")


def manifest_of(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(path) as archive:
        manifest: dict[str, object] = orjson.loads(archive.read("manifest.json"))
        return manifest


async def test_backup_and_restore_on_the_data_dir_when_no_daemon_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 200, seed=1)
    output = tmp_path / "out" / "main.zip"
    output.parent.mkdir()

    backed_up = cli("backup", "main", "-o", str(output), "--data-dir", str(data_dir))
    assert backed_up.returncode == 0, backed_up.stderr
    assert backed_up.stdout == f"Backed up main to {output}\n"
    assert "Backup of main: 100%" in backed_up.stderr  # the progress bar
    assert manifest_of(output)["accountName"] == "main"
    assert sorted(path.name for path in output.parent.iterdir()) == ["main.zip"]

    changed = await make_account(data_dir, 20, seed=2)
    assert changed != original
    restored = cli("restore", "main", str(output), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout == f"Restored main from {output}\n"
    assert restored_digests(data_dir / "databases" / "main.sqlite") == original


async def test_a_backup_without_a_file_name_never_replaces_an_earlier_one(tmp_path: Path) -> None:
    data_dir, here = tmp_path / "data", tmp_path / "here"
    await make_account(data_dir, 10, seed=1)
    here.mkdir()
    today = time.strftime("%Y-%m-%d")
    first = cli("backup", "main", "--data-dir", str(data_dir), cwd=here)
    earlier = (here / f"main-backup-{today}.zip").read_bytes()
    second = cli("backup", "main", "--data-dir", str(data_dir), cwd=here)

    assert first.stdout == f"Backed up main to {here / f'main-backup-{today}.zip'}\n"
    assert second.stdout == f"Backed up main to {here / f'main-backup-{today}-2.zip'}\n"
    assert sorted(path.name for path in here.iterdir()) == [
        f"main-backup-{today}-2.zip",
        f"main-backup-{today}.zip",
    ]
    assert (here / f"main-backup-{today}.zip").read_bytes() == earlier
    assert manifest_of(here / f"main-backup-{today}-2.zip")["accountName"] == "main"


async def test_backup_and_restore_through_the_running_daemon(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 200, seed=1)
    output = tmp_path / "main.zip"
    with running_daemon(data_dir) as (_, ready):
        port = str(ready["port"])
        backed_up = cli(
            "backup", "main", "-o", str(output), "--data-dir", str(data_dir), "--port", port
        )
        assert backed_up.returncode == 0, backed_up.stderr
        assert backed_up.stdout == f"Backed up main to {output}\n"
        assert manifest_of(output)["accountName"] == "main"

        token = read_or_create_token(data_dir / "auth" / "token")
        async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
            assert await client.call("getServerFiles", "main") == []  # no copy stays behind
            assert sorted(p.name for p in (data_dir / "files" / "main").iterdir()) == []
            await client.call("resetAccount", "main")
            assert await client.call("getValue", "main", "marker") is None
            restored = cli(
                "restore", "main", str(output), "--data-dir", str(data_dir), "--port", port
            )
            assert restored.returncode == 0, restored.stderr
            assert restored.stdout == f"Restored main from {output}\n"
            assert await client.call("getValue", "main", "marker") == "seed 1"
            tasks = await client.call("getServerTasks", "main")
            assert (tasks[0]["name"], tasks[0]["status"]) == ("Restore account", "completed")
            assert await client.call("getServerFiles", "main") == []
    assert restored_digests(data_dir / "databases" / "main.sqlite") == original


async def test_cli_errors_name_the_problem(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("hello")

    refused = cli("restore", "main", str(not_a_zip), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert refused.stderr.endswith(
        "privatefolio-daemon: The file is not a zip archive, so it cannot be a backup.\n"
    )
    missing = cli("backup", "ghost", "-o", str(tmp_path / "g.zip"), "--data-dir", str(data_dir))
    assert missing.returncode == 1
    assert missing.stderr.endswith('privatefolio-daemon: Account "ghost" does not exist\n')
    assert not (tmp_path / "g.zip").exists()
    absent = cli("restore", "main", str(tmp_path / "nope.zip"), "--data-dir", str(data_dir))
    assert (
        absent.stderr
        == f"privatefolio-daemon: {tmp_path / 'nope.zip'} does not exist or is not a file\n"
    )
    empty = cli("backup", "main", "--data-dir", str(tmp_path / "empty"))
    assert (
        empty.stderr
        == f"privatefolio-daemon: There is no privatefolio data in {tmp_path / 'empty'}\n"
    )
    with running_daemon(data_dir) as (_, ready):
        wrong_port = cli("backup", "main", "--data-dir", str(data_dir), "--port", "9")
        assert wrong_port.returncode == 1
        assert wrong_port.stderr.endswith(
            f"listens at ws://127.0.0.1:{ready['port']}/, not ws://127.0.0.1:9/, and only it is "
            f"sent the desktop token of {data_dir}. Leave out --port, --url and PORT to reach it.\n"
        )
        assert ready["port"] != 9
        online = cli("restore", "main", str(not_a_zip), "--data-dir", str(data_dir))
        assert online.stderr.endswith(
            "privatefolio-daemon: The file is not a zip archive, so it cannot be a backup.\n"
        )
        token = read_or_create_token(data_dir / "auth" / "token")
        url = f"ws://127.0.0.1:{ready['port']}/"
        async with await DaemonClient.connect(url, token=token) as client:
            assert await client.call("getServerFiles", "main") == []  # the upload went too
        with running_daemon(tmp_path / "other") as (_, other):
            port = str(other["port"])
            foreign = cli("backup", "main", "--data-dir", str(data_dir), "--port", port)
        assert foreign.returncode == 1
        assert foreign.stderr.endswith(
            f"listens at ws://127.0.0.1:{ready['port']}/, not ws://127.0.0.1:{port}/, and only it "
            f"is sent the desktop token of {data_dir}. Leave out --port, --url and PORT to reach "
            "it.\n"
        )


async def test_an_offline_command_opens_only_its_own_account(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 10, seed=1)
    broken = data_dir / "databases" / "broken.sqlite"
    broken.write_bytes(b"not a database, but it ends in .sqlite" * 100)
    output = tmp_path / "main.zip"

    backed_up = cli("backup", "main", "-o", str(output), "--data-dir", str(data_dir))
    assert backed_up.returncode == 0, backed_up.stderr
    restored = cli("restore", "main", str(output), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    assert restored_digests(data_dir / "databases" / "main.sqlite") == original

    refused = cli("backup", "broken", "-o", str(tmp_path / "b.zip"), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"privatefolio-daemon: Could not open the account: {broken}: file is not a database. "
        'The database of account "broken" is damaged: restore a backup into it'
    )
