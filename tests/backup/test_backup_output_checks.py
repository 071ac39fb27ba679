"""``backup -o`` checks where it will write before any backup is made."""

from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.test_backup_cli import cli, make_account
from tests.daemon_process import running_daemon


async def test_an_output_in_a_missing_directory_is_refused_before_the_backup(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    output = tmp_path / "missing" / "main.zip"
    expected = (
        f"privatefolio-daemon: Cannot write {output}: the directory {output.parent} does not "
        "exist\n"
    )

    stopped = cli("backup", "main", "-o", str(output), "--data-dir", str(data_dir))
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (1, "", expected)

    with running_daemon(data_dir) as (_, ready):
        port = str(ready["port"])
        running = cli(
            "backup", "main", "-o", str(output), "--data-dir", str(data_dir), "--port", port
        )
        assert (running.returncode, running.stdout, running.stderr) == (1, "", expected)
        token = read_or_create_token(data_dir / "auth" / "token")
        async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
            tasks = await client.call("getServerTasks", "main")
            assert [task for task in tasks if task["name"] == "Backup"] == []
    assert not output.parent.exists()


async def test_an_output_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    refused = cli("backup", "main", "-o", str(tmp_path), "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert refused.stderr == (
        f"privatefolio-daemon: Cannot write {tmp_path}: it is a directory; give a file name "
        "with -o\n"
    )
