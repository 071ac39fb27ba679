"""An account whose database is damaged is mended by an offline restore: its items are set
aside (never deleted) and the backup restored in their place; a restore that fails puts them
back."""

import re
from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.helpers import restored_digests
from tests.backup.test_backup_cli import cli, make_account
from tests.backup.test_restore_into_new_account import NOT_A_ZIP
from tests.daemon_process import running_daemon

DAMAGED = b"notes saved over the account's database\n" * 50


def damage(data_dir: Path, account: str) -> None:
    """The account's database overwritten, beside the files and logs it had."""
    (data_dir / "databases" / f"{account}.sqlite").write_bytes(DAMAGED)
    (data_dir / "databases" / f"{account}.sqlite-wal").write_bytes(b"its log")
    for folder in ("files", "logs"):
        (data_dir / folder / account).mkdir(parents=True)
        (data_dir / folder / account / "7").write_text(f"{folder} of {account}")


def entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def set_aside(folder: Path) -> list[str]:
    return [name for name in entries(folder) if ".damaged-" in name]


async def test_a_restore_sets_a_damaged_account_aside_and_the_daemon_starts(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 50, seed=1)
    archive = tmp_path / "main.zip"
    assert cli("backup", "main", "-o", str(archive), "--data-dir", str(data_dir)).returncode == 0
    damage(data_dir, "junk")
    scheduled = data_dir / "files" / "junk" / "3"  # a backup the daemon made of the account
    scheduled.write_bytes(archive.read_bytes())

    restored = cli("restore", "junk", str(scheduled), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    databases = data_dir / "databases"
    kept = re.fullmatch(
        f"Restored junk from {re.escape(str(scheduled))}\n"
        f"The damaged database it replaced is kept as {re.escape(str(databases))}/"
        r"junk\.sqlite\.damaged-(\d+)\n",
        restored.stdout,
    )
    assert kept is not None, restored.stdout
    stamp = kept.group(1)
    assert restored_digests(databases / "junk.sqlite") == original
    assert (databases / f"junk.sqlite.damaged-{stamp}").read_bytes() == DAMAGED
    assert (databases / f"junk.sqlite.damaged-{stamp}-wal").read_bytes() == b"its log"
    assert [name for name in set_aside(databases) if not name.endswith("-shm")] == [
        f"junk.sqlite.damaged-{stamp}",
        f"junk.sqlite.damaged-{stamp}-wal",
    ]
    for folder in ("files", "logs"):
        aside = data_dir / folder / f"junk.damaged-{stamp}"
        assert (aside / "7").read_text() == f"{folder} of junk"
    assert entries(data_dir / "files" / f"junk.damaged-{stamp}") == ["3", "7"]

    with running_daemon(data_dir) as (_, ready):
        token = read_or_create_token(data_dir / "auth" / "token")
        url = f"ws://127.0.0.1:{ready['port']}/"
        async with await DaemonClient.connect(url, token=token) as client:
            assert sorted(await client.call("getAccountNames")) == ["junk", "main"]
            assert await client.call("getValue", "junk", "marker") == "seed 1"


async def test_a_failed_restore_puts_the_damaged_account_back(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    damage(data_dir, "junk")
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("hello")

    refused = cli("restore", "junk", str(not_a_zip), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert refused.stderr.endswith(NOT_A_ZIP)
    databases = data_dir / "databases"
    assert set_aside(databases) == []
    assert (databases / "junk.sqlite").read_bytes() == DAMAGED
    assert (databases / "junk.sqlite-wal").read_bytes() == b"its log"
    for folder in ("files", "logs"):
        assert set_aside(data_dir / folder) == []
        assert (data_dir / folder / "junk" / "7").read_text() == f"{folder} of junk"


async def test_a_backup_of_a_damaged_account_says_how_to_mend_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    damage(data_dir, "-junk")

    refused = cli(
        "backup", "-o", str(tmp_path / "b.zip"), "--data-dir", str(data_dir), "--", "-junk"
    )
    assert refused.returncode == 1
    path = data_dir / "databases" / "-junk.sqlite"
    assert refused.stderr == (
        f"privatefolio-daemon: Could not open the account: {path}: file is not a database. The "
        'database of account "-junk" is damaged: restore a backup into it with the daemon '
        f"stopped: privatefolio-daemon restore --data-dir {data_dir} -- -junk <backup.zip> (the "
        "damaged file is kept, as -junk.sqlite.damaged-<ms>).\n"
    )
    assert not (tmp_path / "b.zip").exists()
