"""RPC benchmark: pipelined throughput vs a raw aiohttp echo server, latency, start-up, idle RSS.

Usage: .venv/bin/python scripts/bench/rpc.py [--calls 20000] [--sequential 2000] [--starts 5]
Targets: pipelined >= 50% of the echo rate, cold start <= 0.5 s, idle RSS <= 120 MB.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time

import aiohttp
import orjson
import psutil
from bench_daemon import clean_environment, daemon_process, percentile, serve_command

ECHO_SERVER = """
import sys
from aiohttp import web
try:  # the same event loop as the daemon's, for a fair comparison
    import asyncio, uvloop
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
except ImportError:
    pass

async def echo(request):
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    async for message in ws:
        await ws.send_str(message.data)
    return ws

app = web.Application()
app.router.add_get("/", echo)
ready = lambda *_: print("ready", flush=True)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=ready)
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def pipelined(
    url: str, calls: int, frame: dict[str, object], headers: dict[str, str]
) -> float:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers=headers, max_msg_size=0) as ws,
    ):
        started = time.perf_counter()
        for request_id in range(calls):
            await ws.send_str(orjson.dumps({**frame, "id": request_id}).decode())
        for _ in range(calls):
            await ws.receive()
        return calls / (time.perf_counter() - started)


async def sequential(url: str, calls: int, headers: dict[str, str]) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=headers) as ws:
        for request_id in range(calls):
            started = time.perf_counter()
            await ws.send_str(
                orjson.dumps({"id": request_id, "method": "ping", "params": []}).decode()
            )
            await ws.receive()
            latencies.append(time.perf_counter() - started)
    return latencies


def cold_start_seconds(runs: int) -> list[float]:
    import urllib.request

    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data_dir:
            port = free_port()
            started = time.perf_counter()
            process = subprocess.Popen(
                serve_command(data_dir, port),
                env=clean_environment(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while True:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/ping", timeout=1
                    ) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.005)
            results.append(time.perf_counter() - started)
            process.terminate()
            process.wait(timeout=10)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=5)
    options = parser.parse_args()

    echo_port = free_port()
    echo = subprocess.Popen(
        [sys.executable, "-c", ECHO_SERVER, str(echo_port)], stdout=subprocess.PIPE, text=True
    )
    assert echo.stdout is not None
    echo.stdout.readline()
    with tempfile.TemporaryDirectory() as data_dir, daemon_process(data_dir) as daemon:
        try:
            headers = daemon.headers
            daemon_url = daemon.url
            await asyncio.sleep(1.0)
            idle_rss = psutil.Process(daemon.process.pid).memory_info().rss / 2**20
            frame = {"method": "ping", "params": []}
            await pipelined(daemon_url, 2000, frame, headers)  # warm-up
            echo_rate = await pipelined(f"ws://127.0.0.1:{echo_port}/", options.calls, frame, {})
            rpc_rate = await pipelined(daemon_url, options.calls, frame, headers)
            latencies = await sequential(daemon_url, options.sequential, headers)
        finally:
            echo.terminate()
            echo.wait(timeout=15)
    starts = cold_start_seconds(options.starts)
    ratio = rpc_rate / echo_rate
    start_median = statistics.median(starts)
    verdict = {True: "PASS", False: "FAIL"}
    print(
        f"pipelined calls/s   {rpc_rate:10.0f}   (echo {echo_rate:.0f} frames/s, "
        f"ratio {ratio:.0%}; target >= 50%) {verdict[ratio >= 0.5]}"
    )
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(f"sequential latency  p50 {p50:.3f} ms   p99 {p99:.3f} ms")
    print(
        f"cold start to /ping median {start_median:.3f} s of {[round(s, 3) for s in starts]} "
        f"(target <= 0.5 s) {verdict[start_median <= 0.5]}"
    )
    print(f"idle RSS            {idle_rss:.1f} MB (target <= 120 MB) {verdict[idle_rss <= 120]}")


if __name__ == "__main__":
    asyncio.run(main())
