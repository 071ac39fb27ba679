"""The backup zip writer: a user file or task log that goes while a backup is written is left
out; the database never is."""

import hashlib
import zipfile
from pathlib import Path

import orjson
import pytest

from privatefolio_daemon.domain.backup.archive_writer import ArchiveSource, write_archive
from privatefolio_daemon.domain.backup.manifest import ManifestEntry


def manifest(entries: dict[str, ManifestEntry]) -> bytes:
    return orjson.dumps({name: [entry.size, entry.sha256] for name, entry in entries.items()})


def write(target: Path, sources: list[ArchiveSource]) -> dict[str, ManifestEntry]:
    return write_archive(
        target, sources, manifest, on_progress=lambda *_: None, checkpoint=lambda: None
    )


def test_an_optional_file_gone_before_it_is_written_is_left_out(tmp_path: Path) -> None:
    database, log = tmp_path / "db.sqlite", tmp_path / "server_task_2.log"
    database.write_bytes(b"database bytes")
    log.write_bytes(b"log line\n")
    target = tmp_path / "backup.zip"

    entries = write(
        target,
        [
            ArchiveSource("database.sqlite", database),
            ArchiveSource("files/7", tmp_path / "deleted meanwhile", optional=True),
            ArchiveSource("logs/server_task_2.log", log, optional=True),
        ],
    )

    assert list(entries) == ["database.sqlite", "logs/server_task_2.log"]
    assert entries["logs/server_task_2.log"] == ManifestEntry(
        "logs/server_task_2.log", 9, hashlib.sha256(b"log line\n").hexdigest()
    )
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["database.sqlite", "logs/server_task_2.log", "manifest.json"]
        assert archive.read("database.sqlite") == b"database bytes"
        assert orjson.loads(archive.read("manifest.json")) == {
            name: [entry.size, entry.sha256] for name, entry in entries.items()
        }


def test_a_missing_database_fails_the_backup(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write(tmp_path / "backup.zip", [ArchiveSource("database.sqlite", tmp_path / "gone")])
