r"""Starting the daemon at login: a systemd user service, an XDG autostart entry, a LaunchAgent,
or a Run entry in the Windows registry.

- **Linux with a systemd user manager**: ``~/.config/systemd/user/privatefolio-daemon.service``,
  enabled and started with ``systemctl --user``. systemd restarts the daemon if it fails.
- **Other Linux desktops**: ``~/.config/autostart/privatefolio-daemon.desktop``, which the
  desktop session starts at login.
- **macOS**: ``~/Library/LaunchAgents/org.privatefolio.daemon.plist``, loaded with ``launchctl``;
  launchd restarts the daemon if it fails.
- **Windows**: the value ``privatefolio-daemon`` of the current user's Run key,
  ``HKCU\Software\Microsoft\Windows\CurrentVersion\Run``, which Windows runs at login; nothing
  restarts the daemon if it fails. ``reg.exe`` adds, queries and deletes it: ``winreg`` exists
  only on Windows, while the tests put a ``reg`` stand-in on PATH as they do for ``systemctl``.
  The value is a ``REG_SZ`` (no ``%VAR%`` expansion) holding one command line quoted by
  ``subprocess.list2cmdline``, the rules by which Windows programs split their command line.

The command is the one ``scripts/run`` uses, with the data directory and port given to
``autostart on``, so the daemon started at login is the one the user set up. On Windows it is
``pythonw.exe -m privatefolio_daemon`` when ``pythonw.exe`` lies beside the interpreter (in a
venv's ``Scripts\``): a GUI-subsystem program, so no console window opens at login, and none can
be closed by mistake, ending the daemon. The console script ``privatefolio-daemon.exe`` is a
console program that would open a window at every login, so it is only the fallback, then
``python.exe -m``. Under ``pythonw.exe`` the console log is dropped (there is no stderr).
"""

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SERVICE_NAME = "privatefolio-daemon"
LAUNCH_AGENT_LABEL = "org.privatefolio.daemon"
RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"


class LoginItemError(Exception):
    """The login item could not be set up; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class RegistryValue:
    key: str
    name: str


RUN_VALUE = RegistryValue(RUN_KEY, SERVICE_NAME)


@dataclass(frozen=True, slots=True)
class LoginItem:
    kind: str
    """``systemd``, ``xdg-autostart``, ``launchd`` or ``run-key``."""
    location: Path | RegistryValue
    """The file written, or for ``run-key`` the registry value."""
    installed: bool


def serve_command(
    data_dir: Path | None,
    port: int | None,
    platform: str = sys.platform,
    executable: str = sys.executable,
) -> list[str]:
    """How ``executable`` starts the daemon (see the module docstring), ``serve``, the options."""
    command = [*_start(platform, executable), "serve"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir.resolve())]
    if port is not None:
        command += ["--port", str(port)]
    return command


def _start(platform: str, executable: str) -> list[str]:
    windows = platform == "win32"
    windowless = Path(executable).with_name("pythonw.exe")
    if windows and windowless.is_file():
        return [str(windowless), "-m", "privatefolio_daemon"]
    script = Path(executable).with_name("privatefolio-daemon" + (".exe" if windows else ""))
    return [str(script)] if script.is_file() else [executable, "-m", "privatefolio_daemon"]


def systemd_unit(command: Sequence[str]) -> str:
    return (
        "[Unit]\n"
        "Description=privatefolio-daemon, the local portfolio daemon of Privatefolio\n\n"
        "[Service]\n"
        f"ExecStart={_systemd_escaped(shlex.join(command))}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def _systemd_escaped(command_line: str) -> str:
    """systemd reads ``%`` as a specifier and ``$`` as a variable, inside quotes too."""
    return command_line.replace("%", "%%").replace("$", "$$")


def desktop_entry(command: Sequence[str]) -> str:
    # The value is read as a string first, whose own escapes double every backslash.
    exec_line = " ".join(_desktop_quote(part) for part in command).replace("\\", "\\\\")
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=privatefolio-daemon\n"
        "Comment=The local portfolio daemon of Privatefolio\n"
        f"Exec={exec_line}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def _desktop_quote(part: str) -> str:
    """An Exec argument as the Desktop Entry specification quotes it."""
    if part and not any(char in part for char in " \t\n\"'\\><~|&;$*?#()`%"):
        return part
    escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return '"' + escaped.replace("$", "\\$").replace("%", "%%") + '"'


def launch_agent(command: Sequence[str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},
            "ProcessType": "Background",
        }
    )


class LoginItems:
    """The login item of this platform (``HOME`` and ``XDG_CONFIG_HOME`` say where it goes)."""

    def __init__(self, platform: str = sys.platform) -> None:
        self._platform = platform

    def status(self) -> LoginItem:
        if self._platform == "win32":
            query = _completed(_reg("query"), subprocess.list2cmdline)
            return LoginItem("run-key", RUN_VALUE, query.returncode == 0)
        for kind, path in self._candidates():
            if path.exists():
                return LoginItem(kind, path, True)
        kind, path = self._candidates()[0]
        return LoginItem(kind, path, False)

    def enable(self, command: Sequence[str]) -> LoginItem:
        if self._platform == "win32":
            data = subprocess.list2cmdline(command)
            _run(_reg("add", "/t", "REG_SZ", "/d", data, "/f"), shown=subprocess.list2cmdline)
            return LoginItem("run-key", RUN_VALUE, True)
        if self._platform == "darwin":
            return self._enable_launch_agent(command)
        if self._platform.startswith("linux"):
            if _systemd_user_available():
                return self._enable_systemd(command)
            return self._write(
                "xdg-autostart", self._autostart_path(), desktop_entry(command).encode()
            )
        raise LoginItemError(
            f"Starting at login is not supported on {self._platform} yet: add "
            f"`{shlex.join(command)}` to the programs your system starts at login."
        )

    def disable(self) -> LoginItem | None:
        """Remove the login item (stopping the service it started); ``None`` if there was none."""
        item = self.status()
        if not item.installed:
            return None
        if isinstance(item.location, RegistryValue):
            _run(_reg("delete", "/f"), shown=subprocess.list2cmdline)
            return item
        if item.kind == "systemd":
            _run(["systemctl", "--user", "disable", "--now", f"{SERVICE_NAME}.service"])
        elif item.kind == "launchd":
            _run(["launchctl", "unload", "-w", str(item.location)], check=False)
        item.location.unlink()
        if item.kind == "systemd":
            _run(["systemctl", "--user", "daemon-reload"])
        return item

    def _candidates(self) -> list[tuple[str, Path]]:
        if self._platform == "darwin":
            agents = Path.home() / "Library" / "LaunchAgents"
            return [("launchd", agents / f"{LAUNCH_AGENT_LABEL}.plist")]
        return [("systemd", self._unit_path()), ("xdg-autostart", self._autostart_path())]

    @staticmethod
    def _unit_path() -> Path:
        return _config_home() / "systemd" / "user" / f"{SERVICE_NAME}.service"

    @staticmethod
    def _autostart_path() -> Path:
        return _config_home() / "autostart" / f"{SERVICE_NAME}.desktop"

    def _enable_systemd(self, command: Sequence[str]) -> LoginItem:
        unit = self._unit_path()
        item = self._write("systemd", unit, systemd_unit(command).encode())
        try:
            _run(["systemctl", "--user", "daemon-reload"])
            _run(["systemctl", "--user", "enable", "--now", f"{SERVICE_NAME}.service"])
        except LoginItemError:  # no unit left behind that status would read as "on"
            unit.unlink(missing_ok=True)
            _run(["systemctl", "--user", "daemon-reload"], check=False)
            raise
        return item

    def _enable_launch_agent(self, command: Sequence[str]) -> LoginItem:
        kind, path = self._candidates()[0]
        if path.exists():
            _run(["launchctl", "unload", "-w", str(path)], check=False)
        item = self._write(kind, path, launch_agent(command))
        try:
            _run(["launchctl", "load", "-w", str(path)])
        except LoginItemError:
            path.unlink(missing_ok=True)
            raise
        return item

    @staticmethod
    def _write(kind: str, path: Path, content: bytes) -> LoginItem:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(content)
        partial.replace(path)
        return LoginItem(kind, path, True)


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def _systemd_user_available() -> bool:
    if shutil.which("systemctl") is None:
        return False
    probe = subprocess.run(
        ["systemctl", "--user", "show-environment"], capture_output=True, check=False
    )
    return probe.returncode == 0


def _reg(verb: str, *options: str) -> list[str]:
    """A ``reg.exe`` command on the value ``privatefolio-daemon`` of the Run key."""
    return ["reg", verb, RUN_KEY, "/v", SERVICE_NAME, *options]


Shown = Callable[[Sequence[str]], str]
"""How a command is written in a message: ``shlex.join``, or ``list2cmdline`` for Windows."""


def _run(command: list[str], check: bool = True, shown: Shown = shlex.join) -> None:
    if not check and shutil.which(command[0]) is None:
        return
    done = _completed(command, shown)
    if check and done.returncode != 0:
        detail = done.stderr.strip() or f"exit code {done.returncode}"
        raise LoginItemError(f"`{shown(command)}` failed: {detail}")


def _completed(command: list[str], shown: Shown) -> subprocess.CompletedProcess[str]:
    if shutil.which(command[0]) is None:
        raise LoginItemError(f"{command[0]} is not on PATH: run `{shown(command)}` by hand")
    return subprocess.run(command, capture_output=True, text=True, check=False)
