"""``privatefolio-daemon autostart on|off|status``: the daemon as a login item."""

import argparse
import sys
from pathlib import Path

from privatefolio_daemon.login_item import (
    LoginItem,
    LoginItemError,
    LoginItems,
    RegistryValue,
    serve_command,
)

_KINDS = {
    "systemd": "a systemd user service",
    "xdg-autostart": "an autostart entry of the desktop session",
    "launchd": "a LaunchAgent",
    "run-key": "a Run entry in the registry",
}


def _location(item: LoginItem) -> str:
    if isinstance(item.location, RegistryValue):
        return f"the value {item.location.name} of {item.location.key}"
    return str(item.location)


def _described(item: LoginItem) -> str:
    return f"{_KINDS[item.kind]}, {_location(item)}"


def run_autostart(arguments: argparse.Namespace, platform: str = sys.platform) -> int:
    items = LoginItems(platform)
    try:
        if arguments.state == "on":
            data_dir = Path(arguments.data_dir) if arguments.data_dir else None
            item = items.enable(serve_command(data_dir, arguments.port, platform))
            print(f"privatefolio-daemon will start at login: {_described(item)}")
        elif arguments.state == "off":
            removed = items.disable()
            if removed is None:
                print("privatefolio-daemon was not set to start at login")
            else:
                print(
                    "privatefolio-daemon will no longer start at login: "
                    f"removed {_location(removed)}"
                )
        else:
            item = items.status()
            print(f"on: {_described(item)}" if item.installed else "off")
    except (LoginItemError, OSError) as error:
        print(f"privatefolio-daemon: {error}", file=sys.stderr)
        return 1
    return 0
