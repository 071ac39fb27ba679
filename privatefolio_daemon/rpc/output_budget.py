"""What the frames waiting for all clients together may hold.

Each connection's queue has a limit of its own, but many clients that never read could each fill
theirs. Once a frame would take the daemon's total over the budget, the connection that holds the
most is closed as too slow (it may be the one the frame is for), so that clients that read their
frames keep working.
"""

from typing import Protocol


class QueueHolder(Protocol):
    @property
    def queued_bytes(self) -> int: ...

    def close_too_slow(self, why: str) -> None:
        """Close as too slow, giving back what it holds (``OutputBudget.leave``)."""
        ...


class OutputBudget:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: What every holder's queue holds now.
        self.queued_bytes = 0
        self._holders: set[QueueHolder] = set()

    def join(self, holder: QueueHolder) -> None:
        self._holders.add(holder)

    def leave(self, holder: QueueHolder, held: int) -> None:
        self._holders.discard(holder)
        self.queued_bytes -= held

    def take(self, holder: QueueHolder, cost: int) -> bool:
        """Count ``cost`` more bytes queued for ``holder``, once the holders that hold the most
        are closed while the total would pass the budget. False, with nothing counted, when
        ``holder`` was closed. (One frame may pass the budget alone when nothing else is queued.)
        """
        while self.queued_bytes and self.queued_bytes + cost > self.max_bytes and self._holders:
            largest = max(
                self._holders, key=lambda h: h.queued_bytes + (cost if h is holder else 0)
            )
            self._holders.discard(largest)
            largest.close_too_slow(
                f"it holds the most of all clients, who together would pass "
                f"{self.max_bytes / 2**20:g} MiB"
            )
            if largest is holder:
                return False
        self.queued_bytes += cost
        return True

    def give_back(self, cost: int) -> None:
        """A frame was sent."""
        self.queued_bytes -= cost
