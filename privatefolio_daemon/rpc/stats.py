"""Live counters of the RPC layer, reported by ``getServerStats``."""

from dataclasses import dataclass


@dataclass(slots=True)
class RpcStats:
    connections: int = 0
    subscriptions: int = 0
    callbacks: int = 0
    calls: int = 0
    slow_consumers_closed: int = 0
