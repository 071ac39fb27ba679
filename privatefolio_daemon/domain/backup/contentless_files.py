"""Records of files the daemon made that a backup names but does not hold.

Builds up to ae74ab3 kept the records of an account's exports and backups in a backup's database
and left their bytes out of the zip: restored, they were listed as completed, and their download
answered 404 ("Server file 5 has no content"). A restore drops such records from the staged
database. A user's upload keeps its record: its bytes travel in the zip whenever the account
had them, and one that never had them (still waiting for them, or aborted) is listed as such.
"""

import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.errors import shortened

_LISTED = 5


def drop_contentless_files(database: Path, files: Path) -> list[tuple[int, str]]:
    """Delete from ``database`` the records of the files the daemon made whose bytes are not in
    ``files`` (the backup's, staged); returns the (id, name) of each."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        rows = connection.execute(
            "SELECT id, name FROM server_files WHERE createdBy = 'system' ORDER BY id"
        ).fetchall()
        dropped = [(int(id_), str(name)) for id_, name in rows if not (files / str(id_)).is_file()]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "DELETE FROM server_files WHERE id = ?", [(id_,) for id_, _ in dropped]
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return dropped


def dropped_message(dropped: list[tuple[int, str]]) -> str:
    """What the restore's log says of the records it dropped."""
    listed = [f'"{shortened(name, 80)}" (file {id_})' for id_, name in dropped[:_LISTED]]
    if len(dropped) > _LISTED:
        listed.append(f"and {len(dropped) - _LISTED} more")
    count = "1 file" if len(dropped) == 1 else f"{len(dropped)} files"
    return (
        f"Left out {count} the daemon had made (exports, backups) whose content the backup does "
        "not hold (older versions listed such files without their content): "
        f"{', '.join(listed)}"
    )
