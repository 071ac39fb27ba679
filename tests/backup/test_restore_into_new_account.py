"""``privatefolio-daemon restore`` into an account that does not exist creates it, and a failed
restore removes the account it created."""

from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.helpers import restored_digests
from tests.backup.test_backup_cli import cli, make_account
from tests.daemon_process import running_daemon

NOT_A_ZIP = "privatefolio-daemon: The file is not a zip archive, so it cannot be a backup.\n"


def traces_of(data_dir: Path, account: str) -> list[Path]:
    candidates = [
        *(data_dir / "databases").glob(f"{account}.*"),
        data_dir / "files" / account,
        data_dir / "logs" / account,
    ]
    return [path for path in candidates if path.exists()]


async def backup_and_not_a_zip(tmp_path: Path) -> tuple[Path, dict[str, str], Path, Path]:
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 50, seed=1)
    archive = tmp_path / "main.zip"
    backed_up = cli("backup", "main", "-o", str(archive), "--data-dir", str(data_dir))
    assert backed_up.returncode == 0, backed_up.stderr
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("hello")
    return data_dir, original, archive, not_a_zip


async def test_restore_into_a_new_account_on_the_data_dir(tmp_path: Path) -> None:
    data_dir, original, archive, not_a_zip = await backup_and_not_a_zip(tmp_path)

    restored = cli("restore", "brandnew", str(archive), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout == f"Restored brandnew from {archive}\n"
    assert restored_digests(data_dir / "databases" / "brandnew.sqlite") == original

    refused = cli("restore", "other", str(not_a_zip), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert refused.stderr.endswith(NOT_A_ZIP)
    assert traces_of(data_dir, "other") == []
    assert sorted(path.name for path in (data_dir / "databases").glob("*.sqlite")) == [
        "brandnew.sqlite",
        "main.sqlite",
    ]


async def test_restore_into_a_new_account_through_the_running_daemon(tmp_path: Path) -> None:
    data_dir, original, archive, not_a_zip = await backup_and_not_a_zip(tmp_path)
    with running_daemon(data_dir) as (_, ready):
        port = str(ready["port"])
        restored = cli(
            "restore", "brandnew", str(archive), "--data-dir", str(data_dir), "--port", port
        )
        assert restored.returncode == 0, restored.stderr
        assert restored.stdout == f"Restored brandnew from {archive}\n"

        refused = cli(
            "restore", "other", str(not_a_zip), "--data-dir", str(data_dir), "--port", port
        )
        assert refused.returncode == 1
        assert refused.stderr.endswith(NOT_A_ZIP)

        token = read_or_create_token(data_dir / "auth" / "token")
        async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
            assert sorted(await client.call("getAccountNames")) == ["brandnew", "main"]
            assert await client.call("getValue", "brandnew", "marker") == "seed 1"
    assert traces_of(data_dir, "other") == []
    restored_tables = restored_digests(data_dir / "databases" / "brandnew.sqlite")
    for table in ("transactions", "tags"):  # the daemon derives the rest (and balances) again
        assert restored_tables[table] == original[table]


async def test_a_failed_restore_into_an_existing_account_keeps_it(tmp_path: Path) -> None:
    data_dir, original, _, not_a_zip = await backup_and_not_a_zip(tmp_path)
    refused = cli("restore", "main", str(not_a_zip), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert refused.stderr.endswith(NOT_A_ZIP)
    assert restored_digests(data_dir / "databases" / "main.sqlite") == original


async def test_an_offline_restore_refuses_a_name_that_differs_only_in_case(tmp_path: Path) -> None:
    data_dir, original, archive, _ = await backup_and_not_a_zip(tmp_path)

    refused = cli("restore", "MAIN", str(archive), "--data-dir", str(data_dir))
    assert (refused.returncode, refused.stderr) == (
        1,
        'privatefolio-daemon: Account "MAIN" differs from the account "main" only in case; their '
        "files would be the same on macOS and Windows. Choose another name.\n",
    )
    assert traces_of(data_dir, "MAIN") == []
    assert restored_digests(data_dir / "databases" / "main.sqlite") == original


async def test_an_offline_restore_on_a_new_machine_makes_the_data_dir(tmp_path: Path) -> None:
    _, original, archive, _ = await backup_and_not_a_zip(tmp_path)
    new_dir = tmp_path / "new machine" / "privatefolio"

    restored = cli("restore", "main", str(archive), "--data-dir", str(new_dir))
    assert (restored.returncode, restored.stdout) == (0, f"Restored main from {archive}\n")
    assert new_dir.stat().st_mode & 0o777 == 0o700  # as the daemon makes it: the user's alone
    assert restored_digests(new_dir / "databases" / "main.sqlite") == original
    with running_daemon(new_dir) as (_, ready):
        token = read_or_create_token(new_dir / "auth" / "token")
        url = f"ws://127.0.0.1:{ready['port']}/"
        async with await DaemonClient.connect(url, token=token) as client:
            assert await client.call("getAccountNames") == ["main"]
            assert await client.call("getValue", "main", "marker") == "seed 1"
