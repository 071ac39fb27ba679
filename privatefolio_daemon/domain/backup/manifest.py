"""``manifest.json``: what a backup holds, with the size and sha256 of every entry."""

from dataclasses import dataclass
from typing import Any

import orjson

from privatefolio_daemon.domain.backup.errors import BackupError

MANIFEST_NAME = "manifest.json"
DATABASE_NAME = "database.sqlite"
FORMAT = "privatefolio-backup"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    format_version: int
    app_version: str
    schema_version: int
    account: str
    created_at: int
    entries: dict[str, ManifestEntry]

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "formatVersion": self.format_version,
                "appVersion": self.app_version,
                "schemaVersion": self.schema_version,
                "accountName": self.account,
                "createdAt": self.created_at,
                "entries": [
                    {"name": entry.name, "size": entry.size, "sha256": entry.sha256}
                    for entry in self.entries.values()
                ],
            },
            option=orjson.OPT_INDENT_2,
        )


def parse_manifest(content: bytes) -> Manifest:
    """Read a manifest, refusing one that is malformed or from a newer backup format."""
    try:
        data = orjson.loads(content)
        version = data["formatVersion"]
        if not isinstance(version, int):
            raise TypeError("formatVersion")
        if version > FORMAT_VERSION:
            raise BackupError(
                f"The backup has format version {version}, but this privatefolio-daemon reads "
                f"versions up to {FORMAT_VERSION}: upgrade privatefolio-daemon to restore it."
            )
        entries = {item["name"]: _entry(item) for item in data["entries"]}
        return Manifest(
            format_version=version,
            app_version=str(data.get("appVersion", "")),
            schema_version=int(data.get("schemaVersion", 0)),
            account=str(data.get("accountName", "")),
            created_at=int(data.get("createdAt", 0)),
            entries=entries,
        )
    except BackupError:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise BackupError(f"The backup's manifest.json is malformed ({error!s})") from error


def _entry(item: Any) -> ManifestEntry:
    name, size, digest = item["name"], item["size"], item["sha256"]
    if not isinstance(name, str) or not isinstance(size, int) or not isinstance(digest, str):
        raise TypeError(f"entry {item!r}")
    return ManifestEntry(name, size, digest.lower())
