"""What the benchmarks share: a daemon process on a data dir, and percentiles."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

_CONFIG_VARIABLES = ("PORT", "HOST", "DATA_LOCATION", "ALLOWED_ORIGINS", "FRONTEND_DIR")


@dataclass(frozen=True)
class DaemonProcess:
    process: subprocess.Popen[str]
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}


def serve_command(data_dir: Path | str, port: int = 0) -> list[str]:
    """The daemon as ``scripts/run`` starts it: the console script, or ``-m`` without one."""
    script = Path(sys.executable).with_name("privatefolio-daemon")
    start = [str(script)] if script.is_file() else [sys.executable, "-m", "privatefolio_daemon"]
    return [
        *start, "serve", "--data-dir", str(data_dir), "--port", str(port), "--no-crons",
        "--log-level", "WARNING",
    ]  # fmt: skip


@contextmanager
def daemon_process(data_dir: Path | str, port: int = 0) -> Iterator[DaemonProcess]:
    """Start ``privatefolio-daemon serve`` and wait until it answers; stop it afterwards."""
    process = subprocess.Popen(
        [*serve_command(data_dir, port), "--print-ready"],
        stdout=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    try:
        assert process.stdout is not None
        ready = orjson.loads(process.stdout.readline())
        token = Path(ready["tokenFile"]).read_text().strip()
        yield DaemonProcess(process, int(ready["port"]), token)
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
