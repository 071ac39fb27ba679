"""The configuration: an empty data dir is refused, ``~`` is expanded in every folder, each
variable that wins over its flag says so, ALLOWED_HOSTS entries may carry a port, and the
commit reported is this project's checkout's, never that of a checkout the package sits in."""

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import privatefolio_daemon
from privatefolio_daemon.config import ConfigError, default_data_dir, load_config
from tests.daemon_process import clean_environment

COMMANDS_WITH_A_DATA_DIR = [
    ("serve",),
    ("token",),
    ("call", "getAccountNames"),
    ("backup", "main"),
    ("restore", "main", "main.zip"),
    ("autostart", "on"),
]


def cli(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean_environment(), **environment},
    )


@pytest.mark.parametrize("command", COMMANDS_WITH_A_DATA_DIR, ids=lambda words: words[0])
def test_an_empty_data_dir_is_refused_by_every_command(command: tuple[str, ...]) -> None:
    flag = cli(*command, "--data-dir", "")
    assert (flag.returncode, flag.stdout, flag.stderr) == (
        2,
        "",
        "privatefolio-daemon: --data-dir is empty: give the data directory's path, or leave the "
        f"flag out to use the default ({default_data_dir()})\n",
    )
    variable = cli(*command, DATA_LOCATION="")
    assert (variable.returncode, variable.stdout, variable.stderr) == (
        2,
        "",
        "privatefolio-daemon: DATA_LOCATION is set but empty: set it to the data directory's "
        f"path, or unset it to use the default ({default_data_dir()})\n",
    )


def test_the_frontend_dir_may_start_with_a_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    from_environment = load_config(environ={"FRONTEND_DIR": "~/fe"})
    assert from_environment.frontend_dir == tmp_path / "fe"
    assert load_config(environ={}, frontend_dir="~/fe").frontend_dir == tmp_path / "fe"


def test_each_variable_that_wins_over_its_flag_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    environment = {"HOST": "0.0.0.0", "LOG_LEVEL": "warning", "FRONTEND_DIR": str(tmp_path / "a")}
    config = load_config(
        environ=environment, host="127.0.0.1", log_level="debug", frontend_dir=str(tmp_path / "b")
    )
    assert (config.host, config.log_level, config.frontend_dir) == (
        "0.0.0.0",
        "WARNING",
        tmp_path / "a",
    )
    assert [record.getMessage() for record in caplog.records] == [
        "HOST=0.0.0.0 is used: the environment wins over --host 127.0.0.1",
        f"FRONTEND_DIR={tmp_path / 'a'} is used: the environment wins over --frontend-dir "
        f"{tmp_path / 'b'}",
        "LOG_LEVEL=warning is used: the environment wins over --log-level debug",
    ]
    caplog.clear()
    load_config(  # the same value, written another way: nothing is overridden
        environ=environment, host="[0.0.0.0]", log_level="WARNING", frontend_dir=f"{tmp_path}/a/"
    )
    assert caplog.records == []


def test_allowed_hosts_may_name_a_port() -> None:
    config = load_config(
        environ={"ALLOWED_HOSTS": "192.168.1.20:47160, NAS.local:5555,[fe80::1]:5555,fe80::2,[::3]"}
    )
    assert config.allowed_hosts == ("192.168.1.20", "nas.local", "fe80::1", "fe80::2", "::3")


@pytest.mark.parametrize("entry", ["http://nas.local", "nas.local/app", "nas.local:port"])
def test_an_allowed_host_that_is_no_host_name_is_refused(entry: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(environ={"ALLOWED_HOSTS": f"nas.local,{entry}"})
    assert str(refused.value) == (
        f"ALLOWED_HOSTS holds {entry!r}, which is no host name: write the names or addresses by "
        "which the LAN reaches this computer, a port after one if you like "
        "(ALLOWED_HOSTS=192.168.1.20,nas.local:5555,[fe80::1])"
    )


def git(*arguments: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_a_package_installed_inside_another_checkout_reports_no_commit(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = tmp_path / "my-project"  # a virtualenv inside a project of one's own
    site_packages = project / ".venv" / "lib" / "site-packages"
    shutil.copytree(
        Path(privatefolio_daemon.__file__).parent,
        site_packages / "privatefolio_daemon",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    git("init", "-q", cwd=project)
    git("commit", "-q", "--allow-empty", "-m", "my own work", cwd=project)
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "from privatefolio_daemon.config import load_config; "
            "print(load_config(environ={}).build)",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={**clean_environment(), "PYTHONPATH": str(site_packages)},
    )
    assert build.stdout == (
        f"BuildInfo(version='{privatefolio_daemon.__version__}', commit='unknown', "
        "date='unknown')\n"
    )
