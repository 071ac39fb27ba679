"""Running the daemon's event loop: uvloop where it exists, the standard loop elsewhere.

uvloop roughly doubles the RPC throughput (scripts/bench/rpc.py); see
docs/decisions/0003-uvloop.md.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # Windows, or another Python implementation
        return asyncio.run(main)
    return uvloop.run(main)


def loop_name() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]
