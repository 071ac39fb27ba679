"""The peak RSS of a process tree (the daemon, its fork server and its workers), cheaply.

Sampling the RSS of every process many times a second costs the benchmark a share of the cores it
measures. On Linux the kernel keeps each process's own high-water mark (``VmHWM`` in
``/proc/<pid>/status``) and resets it on request (``clear_refs``), so a sample only has to see a
process once while it lives: its peak is then known whatever happened between two samples. The
tree's peak is the sum of its members' peaks, an upper bound of what they held at any one moment.
Elsewhere a sample reads the current RSS.
"""

import contextlib
from pathlib import Path

import psutil


def _high_water_mark(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


class PeakMemory:
    def __init__(self, process: psutil.Process) -> None:
        self._process = process
        self._peaks: dict[int, int] = {}

    def reset(self) -> None:
        """Forget the peaks so far, the kernel's included."""
        self._peaks.clear()
        for member in self._members():
            with contextlib.suppress(OSError):
                Path(f"/proc/{member.pid}/clear_refs").write_text("5")
        self.sample()

    def sample(self) -> None:
        for member in self._members():
            with contextlib.suppress(psutil.Error):
                peak = _high_water_mark(member.pid) or member.memory_info().rss
                self._peaks[member.pid] = max(self._peaks.get(member.pid, 0), peak)

    @property
    def process_peak(self) -> int:
        """The peak of the tree's root process alone."""
        return self._peaks.get(self._process.pid, 0)

    @property
    def tree_peak(self) -> int:
        return sum(self._peaks.values())

    def _members(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return [self._process, *self._process.children(recursive=True)]
        return [self._process]
