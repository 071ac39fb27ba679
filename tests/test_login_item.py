"""``privatefolio-daemon autostart``: the login item on Linux (systemd or XDG), macOS, Windows.

``systemctl``, ``launchctl`` and ``reg`` are stand-ins on PATH: scripts that record how they were
called and answer as the real tools do (``show-environment`` fails where there is no user manager,
``reg query`` fails while the value is missing).
"""

import argparse
import json
import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from privatefolio_daemon.cli_autostart import run_autostart
from privatefolio_daemon.login_item import (
    LoginItem,
    LoginItemError,
    LoginItems,
    RegistryValue,
    serve_command,
)
from tests.daemon_process import clean_environment

DAEMON = str(Path(sys.executable).with_name("privatefolio-daemon"))
RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
RUN_ENTRY = RegistryValue(RUN_KEY, "privatefolio-daemon")
NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value."
not_on_windows = pytest.mark.skipif(
    sys.platform == "win32", reason="there the real reg.exe would change this user's registry"
)


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


def reg_stand_in(bin_dir: Path, fail_on: str = "", stderr: str = "") -> Path:
    """A ``reg`` on PATH that logs each call's arguments as a JSON line and keeps the one value in
    a file; it exits 1 with ``stderr`` when the verb is ``fail_on``."""
    calls = bin_dir / "reg.calls"
    script = bin_dir / "reg"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys\n"
        "here = pathlib.Path(__file__).parent\n"
        "with (here / 'reg.calls').open('a') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "verb, value = sys.argv[1], here / 'reg.value'\n"
        f"if verb == {fail_on!r}:\n"
        f"    sys.exit({stderr!r})\n"
        "if verb == 'add':\n"
        "    value.write_text(sys.argv[sys.argv.index('/d') + 1])\n"
        "elif not value.exists():\n"
        f"    sys.exit({NOT_FOUND!r})\n"
        "elif verb == 'delete':\n"
        "    value.unlink()\n"
    )
    script.chmod(0o755)
    return calls


def reg_calls(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def autostart(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {**clean_environment(), **{k: os.environ[k] for k in ("HOME", "PATH")}}
    environment["XDG_CONFIG_HOME"] = os.environ["XDG_CONFIG_HOME"]
    environment.update(variables)
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
    data_dir = home / "my 50% $data"
    unit = home / "config" / "systemd" / "user" / "privatefolio-daemon.service"

    on = autostart("on", "--data-dir", str(data_dir), "--port", "5600")
    assert on.returncode == 0, on.stderr
    assert on.stdout == f"privatefolio-daemon will start at login: a systemd user service, {unit}\n"
    assert unit.read_text() == (
        "[Unit]\n"
        "Description=privatefolio-daemon, the local portfolio daemon of Privatefolio\n\n"
        "[Service]\n"
        f"ExecStart={DAEMON} serve --data-dir '{home}/my 50%% $$data' --port 5600\n"
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
    # Quoted as the specification says, then each backslash doubled as a string value's is.
    quoted = str(data_dir).replace('"', '\\\\"').replace("$", "\\\\$")
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
def test_the_environment_wins_over_the_flags_as_for_serve(home: Path) -> None:
    stand_in(home / "bin", "systemctl", fail_on="show-environment")
    entry = home / "config" / "autostart" / "privatefolio-daemon.desktop"
    on = autostart("on", "--port", "7000", DATA_LOCATION=str(home / "from-env"), PORT="17650")
    assert on.returncode == 0, on.stderr
    assert f"Exec={DAEMON} serve --data-dir {home / 'from-env'} --port 17650\n" in (
        entry.read_text()
    )
    refused = autostart("on", PORT="many")
    assert (refused.returncode, refused.stderr) == (
        2,
        "privatefolio-daemon: PORT must be a number, not 'many'\n",
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux login items")
def test_a_failing_systemctl_is_reported_with_its_own_words(home: Path) -> None:
    stand_in(home / "bin", "systemctl", fail_on="enable", stderr="Failed to enable unit: denied")
    failed = autostart("on")
    assert failed.returncode == 1
    assert failed.stderr == (
        "privatefolio-daemon: `systemctl --user enable --now privatefolio-daemon.service` "
        "failed: Failed to enable unit: denied\n"
    )
    assert not (home / "config" / "systemd" / "user" / "privatefolio-daemon.service").exists()
    status = autostart("status")
    assert status.stdout.startswith("off"), status.stdout


def test_on_macos_a_launch_agent_is_loaded_and_unloaded(home: Path) -> None:
    calls = stand_in(home / "bin", "launchctl")
    items = LoginItems(platform="darwin")
    command = serve_command(home / "data", None)
    agent = home / "home" / "Library" / "LaunchAgents" / "org.privatefolio.daemon.plist"

    item = items.enable(command)
    assert (item.kind, item.location, item.installed) == ("launchd", agent, True)
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


@not_on_windows
def test_on_windows_a_run_entry_is_added_queried_and_deleted(home: Path) -> None:
    calls = reg_stand_in(home / "bin")
    scripts = home / "Program Files" / "venv" / "Scripts"
    scripts.mkdir(parents=True)
    for name in ("python.exe", "pythonw.exe", "privatefolio-daemon.exe"):
        (scripts / name).touch()
    data_dir = home / 'my "data" 100%'
    command = serve_command(data_dir, 5600, "win32", str(scripts / "python.exe"))
    items = LoginItems(platform="win32")
    query = ["query", RUN_KEY, "/v", "privatefolio-daemon"]

    assert items.status() == LoginItem("run-key", RUN_ENTRY, False)
    item = items.enable(command)
    assert item == LoginItem("run-key", RUN_ENTRY, True)
    assert items.status() == item
    assert items.disable() == item
    assert items.status() == LoginItem("run-key", RUN_ENTRY, False)
    assert items.disable() is None
    command_line = (
        f'"{scripts}/pythonw.exe" -m privatefolio_daemon serve '
        f'--data-dir "{home}/my \\"data\\" 100%" --port 5600'
    )
    assert reg_calls(calls) == [
        query,
        ["add", RUN_KEY, "/v", "privatefolio-daemon", "/t", "REG_SZ", "/d", command_line, "/f"],
        query,
        query,
        ["delete", RUN_KEY, "/v", "privatefolio-daemon", "/f"],
        query,
        query,
    ]


def test_on_windows_without_pythonw_the_console_script_then_python_start_it(home: Path) -> None:
    scripts = home / "Scripts"
    scripts.mkdir()
    python = str(scripts / "python.exe")
    python_m = [python, "-m", "privatefolio_daemon", "serve"]
    assert serve_command(None, None, "win32", python) == python_m
    (scripts / "privatefolio-daemon.exe").touch()
    script = str(scripts / "privatefolio-daemon.exe")
    assert serve_command(None, None, "win32", python) == [script, "serve"]
    (scripts / "pythonw.exe").touch()
    assert serve_command(None, None, "linux", python) == python_m, "Windows' names only"


@not_on_windows
def test_on_windows_a_failing_reg_is_reported_with_its_own_words(home: Path) -> None:
    reg_stand_in(home / "bin", fail_on="add", stderr="ERROR: Access is denied.")
    command = [r"C:\Program Files\pf\pythonw.exe", "-m", "privatefolio_daemon", "serve"]
    with pytest.raises(LoginItemError) as refused:
        LoginItems(platform="win32").enable(command)
    assert str(refused.value) == (
        rf"`reg add {RUN_KEY} /v privatefolio-daemon /t REG_SZ "
        r'/d "\"C:\Program Files\pf\pythonw.exe\" -m privatefolio_daemon serve" /f` '
        "failed: ERROR: Access is denied."
    )


@not_on_windows
def test_on_windows_autostart_names_the_registry_value(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg_stand_in(home / "bin")

    def autostart_on_windows(state: str) -> str:
        arguments = argparse.Namespace(state=state, data_dir=None, port=None)
        assert run_autostart(arguments, platform="win32") == 0
        return capsys.readouterr().out

    entry = rf"the value privatefolio-daemon of {RUN_KEY}"
    assert autostart_on_windows("status") == "off\n"
    assert autostart_on_windows("on") == (
        f"privatefolio-daemon will start at login: a Run entry in the registry, {entry}\n"
    )
    assert autostart_on_windows("status") == f"on: a Run entry in the registry, {entry}\n"
    assert autostart_on_windows("off") == (
        f"privatefolio-daemon will no longer start at login: removed {entry}\n"
    )
    assert autostart_on_windows("off") == "privatefolio-daemon was not set to start at login\n"


def test_another_system_gets_the_command_to_add_by_hand(home: Path) -> None:
    with pytest.raises(LoginItemError) as refused:
        LoginItems(platform="sunos5").enable([DAEMON, "serve"])
    assert str(refused.value) == (
        f"Starting at login is not supported on sunos5 yet: add `{DAEMON} serve` to the "
        "programs your system starts at login."
    )
