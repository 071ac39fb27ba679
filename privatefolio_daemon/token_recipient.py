"""Where the command line may send the desktop token: only to the daemon that holds the data
dir's lock, at the address that daemon wrote down. Whatever else listens on a port (another
user's listener before the daemon starts, or after it crashed) is never sent the token."""

import dataclasses
from urllib.parse import urlsplit

from privatefolio_daemon.config import Config, client_url
from privatefolio_daemon.store.daemon_address import recorded_address
from privatefolio_daemon.store.instance_lock import lock_holder


class NoRecipient(Exception):
    """No daemon of the data dir may be sent the token there; the message says why."""


def daemon_config(config: Config, asked_url: str | None = None) -> Config:
    """``config`` at the address of the daemon holding its data dir. The address asked for
    (``asked_url``, else the host and port of ``config``) must be that one."""
    data_dir = config.data_dir
    holder = lock_holder(data_dir)
    if holder is None:
        raise NoRecipient(
            f"no daemon runs on {data_dir}. Start one with `privatefolio-daemon serve` on the "
            "same --data-dir."
        )
    if not holder.is_daemon:
        raise NoRecipient(
            f"{holder.using(data_dir)}, so no daemon runs there; wait for it to finish, "
            "then start one with `privatefolio-daemon serve`."
        )
    recorded = recorded_address(data_dir)
    if recorded is None or str(recorded[0]) != holder.pid:  # it writes daemon.json once it listens
        raise NoRecipient(
            f"The privatefolio-daemon (pid {holder.pid}) using {data_dir} is still starting (an "
            "upgrade of its databases can take a while); try again once it listens."
        )
    found = dataclasses.replace(config, host=recorded[1], port=recorded[2])
    url, asked = client_url(found, "ws"), asked_url or client_url(config, "ws")
    if _where(asked) != _where(url):
        raise NoRecipient(
            f"The privatefolio-daemon (pid {holder.pid}) using {data_dir} listens at {url}, not "
            f"{asked}, and only it is sent the desktop token of {data_dir}. Leave out --port, "
            "--url and PORT to reach it."
        )
    return found


def _where(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    try:
        return parts.hostname, parts.port
    except ValueError:  # a port that is no number
        return parts.hostname, None
