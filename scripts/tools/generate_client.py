"""Write privatefolio_daemon/client_methods.py from the daemon's method table."""

import tempfile
from pathlib import Path

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.config import load_config
from privatefolio_daemon.rpc.client_codegen import render_client

TARGET = Path(__file__).resolve().parents[2] / "privatefolio_daemon" / "client_methods.py"


def generated_source() -> str:
    with tempfile.TemporaryDirectory() as data_dir:
        daemon = Daemon(load_config(environ={}, data_dir=data_dir, port=0, crons=False))
        daemon.load_features()
        return render_client(daemon.methods)


if __name__ == "__main__":
    TARGET.write_text(generated_source(), encoding="utf-8")
    print(f"wrote {TARGET}")
