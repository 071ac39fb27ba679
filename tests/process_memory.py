"""What the memory tests share: this process's RSS, and a mark for tests that need glibc."""

import psutil
import pytest

from privatefolio_daemon.heap_trim import can_trim

needs_malloc_trim = pytest.mark.skipif(
    not can_trim(), reason="this C library has no malloc_trim (it is glibc's)"
)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20
