"""Serve a data dir as ``privatefolio-daemon serve --port 0 --print-ready --no-crons`` does, with
every account writer held for good as an import begins its transaction (the statement that
saves the file import); the file ``writer-held`` in the data dir says it is.

python -m tests.api.serve_with_import_held DATA_DIR
"""

import sqlite3
import sys
from pathlib import Path

from privatefolio_daemon import event_loop
from privatefolio_daemon.app import Daemon, run_until_signalled
from privatefolio_daemon.config import load_config
from privatefolio_daemon.logging_setup import configure_logging
from privatefolio_daemon.store.database import Database
from tests.backup.stop_mid_swap import announce
from tests.writer_hold import hold_at

HELD_AT = "INSERT INTO file_imports"
MARKER = "writer-held"


def hold_writers(data_dir: Path) -> None:
    connect = Database._connect_writer
    hold = hold_at(HELD_AT)

    def on_statement(sql: str) -> None:
        if sql.lstrip().upper().startswith(HELD_AT.upper()):
            (data_dir / MARKER).touch()
        hold(sql)

    def connect_held(self: Database) -> sqlite3.Connection:
        connection = connect(self)
        connection.set_trace_callback(on_statement)
        return connection

    Database._connect_writer = connect_held  # type: ignore[method-assign]


def main() -> None:
    data_dir = Path(sys.argv[1])
    config = load_config(environ={}, data_dir=str(data_dir), port=0, crons=False)
    configure_logging(config.log_level)
    hold_writers(data_dir)
    daemon = Daemon(config)
    sys.exit(event_loop.run(run_until_signalled(daemon, announce)))


if __name__ == "__main__":
    main()
