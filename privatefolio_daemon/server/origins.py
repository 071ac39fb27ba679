"""Which Host headers and Origins may reach the daemon.

A daemon on localhost is reachable by every web page the user opens: the Host check stops DNS
rebinding, and the Origin check stops foreign pages from opening the socket or changing state.
"""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_LOCAL_ORIGIN = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$")


class OriginPolicy:
    def __init__(self, allowed_origins: Iterable[str], allowed_hosts: Iterable[str]) -> None:
        self._origins = frozenset(origin.rstrip("/") for origin in allowed_origins)
        self._hosts = frozenset(host.lower() for host in allowed_hosts)

    def host_allowed(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        hostname = urlsplit(f"//{host_header}").hostname
        if hostname is None:
            return False
        hostname = hostname.lower()
        return hostname in _LOOPBACK_NAMES or hostname in self._hosts

    def origin_allowed(self, origin: str | None) -> bool:
        """No Origin (a native client), Electron, local pages and configured origins."""
        if origin is None:
            return True
        if origin == "null" or origin.startswith(("file://", "app://")):
            return True
        origin = origin.rstrip("/")
        return bool(_LOCAL_ORIGIN.match(origin)) or origin in self._origins
