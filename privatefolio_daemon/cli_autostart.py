"""``privatefolio-daemon autostart on|off|status``: the daemon as a login item."""

import argparse
import os
import sys
from pathlib import Path

from privatefolio_daemon.config import load_config
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


def _chosen_location(arguments: argparse.Namespace) -> tuple[Path | None, int | None]:
    """The data dir and port the login item names: the environment wins over the flags, as for
    ``serve``; what neither gives is left to the daemon's defaults."""
    config = load_config(data_dir=arguments.data_dir, port=arguments.port)
    given_dir = os.environ.get("DATA_LOCATION") or arguments.data_dir
    given_port = os.environ.get("PORT") or arguments.port is not None
    return (config.data_dir if given_dir else None), (config.port if given_port else None)


def run_autostart(arguments: argparse.Namespace, platform: str = sys.platform) -> int:
    items = LoginItems(platform)
    try:
        if arguments.state == "on":
            data_dir, port = _chosen_location(arguments)
            item = items.enable(serve_command(data_dir, port, platform))
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
