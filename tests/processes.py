"""Helpers for tests that look at processes: a fresh interpreter's imports, forked workers."""

import json
import subprocess
import sys
from collections.abc import Iterable

import psutil

from tests.shared_fixtures import REPO_ROOT


def packages_loaded_by(code: str, packages: Iterable[str]) -> list[str]:
    """Which of ``packages`` a fresh interpreter has loaded (any module of) after ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(p for p in {sorted(packages)!r} "
        "if any(m == p or m.startswith(p + '.') for m in sys.modules))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def forked_workers() -> list[psutil.Process]:
    """The processes forked by this process's fork server."""
    return [
        worker
        for server in psutil.Process().children()
        if "forkserver" in " ".join(_command_line(server))
        for worker in server.children()
    ]


def _command_line(process: psutil.Process) -> list[str]:
    """Its command line; none for a child that has ended (a zombie or gone)."""
    try:
        return process.cmdline()
    except (psutil.ZombieProcess, psutil.NoSuchProcess):
        return []
