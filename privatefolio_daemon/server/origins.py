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

    def origin_allowed(self, origin: str | None, own_origin: str | None = None) -> bool:
        """No Origin (a native client), Electron, local pages, configured origins, and
        ``own_origin``: the request's own scheme and Host (the daemon's own frontend on a LAN
        address), which the caller passes once the Host check has passed."""
        if origin is None:
            return True
        if origin == "null" or origin.startswith(("file://", "app://")):
            return True
        origin = origin.rstrip("/")
        if own_origin is not None and origin.lower() == own_origin.lower():
            return True
        return bool(_LOCAL_ORIGIN.match(origin)) or origin in self._origins

    def guest_origin_allowed(self, origin: str | None, own_origin: str | None = None) -> bool:
        """Who may read without a credential in kiosk mode: a native client (no Origin), the
        daemon's own page, local pages and configured origins. Not ``null``, which any web site
        sends from a sandboxed frame or a data: URL, nor ``file://`` (a page saved to disk) or
        ``app://``: the desktop shell that sends those has the desktop token."""
        if origin is not None and (origin == "null" or origin.startswith(("file://", "app://"))):
            return False
        return self.origin_allowed(origin, own_origin)
