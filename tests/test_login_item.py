"""``privatefolio-daemon autostart``: the login item on Linux (systemd or XDG) and macOS.

``systemctl`` and ``launchctl`` are stand-ins on PATH: scripts that record how they were called
and answer as the real tools do (``show-environment`` fails where there is no user manager).
"""

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from privatefolio_daemon.login_item import LoginItemError, LoginItems, serve_command
from tests.daemon_process import clean_environment

DAEMON = str(Path(sys.executable).with_name("privatefolio-daemon"))


def stand_in(bin_dir: Path, name: str, fail_on: str = "", stderr: str = "") -> Path:
    """A ``name`` on PATH that logs its arguments and exits 1 when they contain ``fail_on``."""
    calls = bin_dir / f"{name}.calls"
    script = bin_dir / name
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        f'case "$*" in *"{fail_on or "never matches"}"*) echo "{stderr}" >&2; exit 1;; esac\n'
    )
    script.chmod(0o755)
    return calls


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def autostart(*arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**clean_environment(), **{k: os.environ[k] for k in ("HOME", "PATH")}}
    environment["XDG_CONFIG_HOME"] = os.environ["XDG_CONFIG_HOME"]
    return subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", "autostart", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux login items")
def test_a_systemd_user_service_is_written_enabled_and_removed(home: Path) -> None:
    calls = stand_in(home / "bin", "systemctl")
    data_dir = home / "my data"
    unit = home / "config" / "systemd" / "user" / "privatefolio-daemon.service"

    on = autostart("on", "--data-dir", str(data_dir), "--port", "5600")
    assert on.returncode == 0, on.stderr
    assert on.stdout == f"privatefolio-daemon will start at login: a systemd user service, {unit}\n"
    assert unit.read_text() == (
        "[Unit]\n"
        "Description=privatefolio-daemon, the local portfolio daemon of Privatefolio\n\n"
        "[Service]\n"
        f"ExecStart={DAEMON} serve --data-dir '{data_dir}' --port 5600\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )
    assert calls.read_text().splitlines() == [
        "--user show-environment",
        "--user daemon-reload",
        "--user enable --now privatefolio-daemon.service",
    ]
    assert autostart("status").stdout == f"on: a systemd user service, {unit}\n"

    off = autostart("off")
    assert off.stdout == f"privatefolio-daemon will no longer start at login: removed {unit}\n"
    assert not unit.exists()
    assert calls.read_text().splitlines()[-2:] == [
        "--user disable --now privatefolio-daemon.service",
        "--user daemon-reload",
    ]
    assert autostart("status").stdout == "off\n"
    assert autostart("off").stdout == "privatefolio-daemon was not set to start at login\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux login items")
def test_without_a_systemd_user_manager_the_desktop_session_starts_it(home: Path) -> None:
    calls = stand_in(home / "bin", "systemctl", fail_on="show-environment")
    entry = home / "config" / "autostart" / "privatefolio-daemon.desktop"
    data_dir = home / 'data "$HOME"'

    on = autostart("on", "--data-dir", str(data_dir))
    assert on.returncode == 0, on.stderr
    assert on.stdout == (
        f"privatefolio-daemon will start at login: an autostart entry of the desktop session, "
        f"{entry}\n"
    )
    quoted = str(data_dir).replace('"', '\\"').replace("$", "\\$")
    assert entry.read_text() == (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=privatefolio-daemon\n"
        "Comment=The local portfolio daemon of Privatefolio\n"
        f'Exec={DAEMON} serve --data-dir "{quoted}"\n'
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
    )
    assert calls.read_text().splitlines() == ["--user show-environment"]
    assert autostart("off").returncode == 0
    assert not entry.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux login items")
def test_a_failing_systemctl_is_reported_with_its_own_words(home: Path) -> None:
    stand_in(home / "bin", "systemctl", fail_on="enable", stderr="Failed to enable unit: denied")
    failed = autostart("on")
    assert failed.returncode == 1
    assert failed.stderr == (
        "privatefolio-daemon: `systemctl --user enable --now privatefolio-daemon.service` "
        "failed: Failed to enable unit: denied\n"
    )


def test_on_macos_a_launch_agent_is_loaded_and_unloaded(home: Path) -> None:
    calls = stand_in(home / "bin", "launchctl")
    items = LoginItems(platform="darwin")
    command = serve_command(home / "data", None)
    agent = home / "home" / "Library" / "LaunchAgents" / "org.privatefolio.daemon.plist"

    item = items.enable(command)
    assert (item.kind, item.path, item.installed) == ("launchd", agent, True)
    assert plistlib.loads(agent.read_bytes()) == {
        "Label": "org.privatefolio.daemon",
        "ProgramArguments": [DAEMON, "serve", "--data-dir", str(home / "data")],
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Background",
    }
    items.enable(command)  # again: the old agent is unloaded first
    assert items.disable() == item
    assert not agent.exists()
    assert calls.read_text().splitlines() == [
        f"load -w {agent}",
        f"unload -w {agent}",
        f"load -w {agent}",
        f"unload -w {agent}",
    ]


def test_another_system_gets_the_command_to_add_by_hand(home: Path) -> None:
    with pytest.raises(LoginItemError) as refused:
        LoginItems(platform="win32").enable([DAEMON, "serve"])
    assert str(refused.value) == (
        f"Starting at login is not supported on win32 yet: add `{DAEMON} serve` to the "
        "programs your system starts at login."
    )
