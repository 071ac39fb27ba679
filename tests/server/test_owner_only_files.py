"""What the daemon and ``backup`` make in the data dir is their user's alone whatever the umask,
and a data dir other users can enter is named at start with the command that closes it."""

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.daemon_process import cli, running_daemon


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The umask the commands started meanwhile inherit."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes_open_to_others(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in [root, *root.rglob("*")]
        if stat.S_IMODE(path.stat().st_mode) & 0o077
    }


def test_the_daemons_files_are_its_users_alone_under_a_lax_umask(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)  # a data dir made by hand, or by an earlier version
    with umask(0o022), running_daemon(data_dir) as (daemon, _):
        created = cli("call", "--data-dir", str(data_dir), "createAccount", '"main"')
        assert created.returncode == 0, created.stderr
        backup = tmp_path / "main.zip"
        backed_up = cli("backup", "main", "--data-dir", str(data_dir), "-o", str(backup))
        assert backed_up.returncode == 0, backed_up.stderr
        while_running = modes_open_to_others(data_dir)
        names = {path.name for path in data_dir.rglob("*")}
        daemon.terminate()
        _, errors = daemon.communicate(timeout=30)
    assert while_running == {".": "0o755"}  # the folder the user made, told below
    assert {"main.sqlite-wal", "server.sqlite", "server-logs", "daemon.json"} <= names
    assert oct(stat.S_IMODE(backup.stat().st_mode)) == "0o600"
    assert (
        f"WARNING privatefolio_daemon.owner_only: The data directory {data_dir} is open to other "
        f"users (mode 755): they can read the portfolio in it. Make it yours alone with: chmod "
        f"700 {data_dir}\n"
    ) in errors


def test_an_offline_restore_makes_a_data_dir_and_files_its_users_alone(tmp_path: Path) -> None:
    source = tmp_path / "source"
    with umask(0o022):
        with running_daemon(source):
            assert cli("call", "--data-dir", str(source), "createAccount", '"main"').returncode == 0
            backup = tmp_path / "main.zip"
            assert (
                cli("backup", "main", "--data-dir", str(source), "-o", str(backup)).returncode == 0
            )
        target = tmp_path / "target"
        target.mkdir(mode=0o700)
        restored = cli("restore", "main", str(backup), "--data-dir", str(target))
    assert restored.returncode == 0, restored.stderr
    assert (target / "databases" / "main.sqlite").exists()
    assert modes_open_to_others(target) == {}
