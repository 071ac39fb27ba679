"""Which OS user holds the other end of a TCP connection on this machine, from the kernel's
socket tables (Linux ``/proc/net/tcp`` and ``tcp6``: the uid column of the peer's socket).

Elsewhere, or for a peer the tables do not show, it is not known (None)."""

import ipaddress
import socket
import struct
import sys
from pathlib import Path

#: Whether this platform can name a local peer's user.
CAN_NAME_PEERS = sys.platform.startswith("linux")
_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))

Address = tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]


def peer_uid(peer: tuple[str, int], local: tuple[str, int]) -> int | None:
    """The uid owning the socket at ``peer`` that is connected to ``local`` (each a host and
    port, as ``getpeername`` and ``getsockname`` give them)."""
    if not CAN_NAME_PEERS:
        return None
    wanted = (_address(*peer[:2]), _address(*local[:2]))
    for table in _TABLES:
        try:
            lines = table.read_text("ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 7 and (_parse(fields[1]), _parse(fields[2])) == wanted:
                return int(fields[7])
    return None


def _address(host: str, port: int) -> Address:
    ip = ipaddress.ip_address(host.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip, port


def _parse(text: str) -> Address:
    """``0100007F:1F90``: the address as the kernel's 32-bit words, in this machine's byte
    order, then the port."""
    hex_address, _, hex_port = text.partition(":")
    words = [int(hex_address[i : i + 8], 16) for i in range(0, len(hex_address), 8)]
    packed = struct.pack(f"={len(words)}I", *words)
    family = socket.AF_INET if len(words) == 1 else socket.AF_INET6
    return _address(socket.inet_ntop(family, packed), int(hex_port, 16))
