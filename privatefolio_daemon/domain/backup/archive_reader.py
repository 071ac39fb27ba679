"""Reading a backup zip that nobody vouches for: every entry is checked before one byte of it
is written, and written only into a staging directory, never over live data.

Refused: anything that is not a zip, a damaged or truncated zip, absolute or ``..`` entry names,
links and other special entries, encrypted entries, more data than the size limit, entries or a
whole archive that expand suspiciously far (zip bombs), and entries whose size or sha256 differ
from the manifest.
"""

import hashlib
import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.manifest import (
    DATABASE_NAME,
    MANIFEST_NAME,
    Manifest,
    parse_manifest,
)

CHUNK = 1024 * 1024
#: Below this an entry, or a whole archive, expands to too little to harm: a new account's
#: database, say, is mostly empty pages and packs over 200 times (1 MiB of 16 KiB pages into 5 KiB).
_RATIO_CHECK_FROM = 16 * 2**20
_MAX_MANIFEST_BYTES = 16 * 2**20
_DISK_MARGIN = 64 * 2**20
_WANTED = re.compile(r"^(database\.sqlite|files/\d+|logs/server_task_\d+\.log)$")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True, slots=True)
class RestoreLimits:
    max_uncompressed_bytes: int
    max_ratio: int


@dataclass(frozen=True, slots=True)
class StagedBackup:
    """A checked backup, extracted: ``directory/database.sqlite``, ``files/``, ``logs/``."""

    directory: Path
    manifest: Manifest | None

    @property
    def database(self) -> Path:
        return self.directory / DATABASE_NAME


def extract_backup(
    archive_path: Path,
    staging: Path,
    limits: RestoreLimits,
    *,
    on_progress: Callable[[int, int], None],
    checkpoint: Callable[[], None],
) -> StagedBackup:
    """Check ``archive_path`` and extract what a restore needs into ``staging`` (a new, empty
    directory of this restore's own)."""
    with _open_zip(archive_path) as archive:
        wanted = _checked_entries(archive, limits)
        manifest = _read_manifest(archive, wanted)
        total = sum(info.file_size for info in wanted.values())
        _check_free_space(staging, total)
        progress = _Progress(total, on_progress, checkpoint)
        for name, info in wanted.items():
            if name != MANIFEST_NAME:
                _extract_entry(archive, info, name, staging / name, manifest, progress)
    return StagedBackup(staging, manifest)


@dataclass(slots=True)
class _Progress:
    total: int
    report: Callable[[int, int], None]
    checkpoint: Callable[[], None]
    done: int = 0

    def add(self, size: int) -> None:
        self.checkpoint()
        self.done += size
        self.report(self.done, self.total)


def _open_zip(path: Path) -> zipfile.ZipFile:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic not in _ZIP_MAGIC:
        raise BackupError("The file is not a zip archive, so it cannot be a backup.")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise BackupError(
            f"The backup zip is damaged or truncated ({error}); it cannot be restored."
        ) from error


def _checked_entries(archive: zipfile.ZipFile, limits: RestoreLimits) -> dict[str, zipfile.ZipInfo]:
    """The entries a restore uses, by name, after every entry passed the safety checks."""
    seen: set[str] = set()
    wanted: dict[str, zipfile.ZipInfo] = {}
    total = compressed = 0
    for info in archive.infolist():
        name = _safe_name(info.filename)
        if name in seen:
            raise BackupError(f'The backup contains the entry "{name}" twice.')
        seen.add(name)
        _check_kind(info, name)
        if info.is_dir():
            continue
        _check_expansion(info, name, limits)
        total += info.file_size
        compressed += info.compress_size
        if total > limits.max_uncompressed_bytes:
            raise BackupError(
                f"The backup expands to more than {size_text(limits.max_uncompressed_bytes)}, "
                "the restore limit; it is refused."
            )
        if _WANTED.match(name) or name == MANIFEST_NAME:
            wanted[name] = info
    _check_archive_expansion(total, compressed, limits)
    if DATABASE_NAME not in wanted:
        raise BackupError(f"The backup has no {DATABASE_NAME}; it is not a Privatefolio backup.")
    return wanted


def _safe_name(raw: str) -> str:
    name = raw.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise BackupError(f'The backup contains an entry with an absolute path: "{raw}".')
    parts = PurePosixPath(name).parts
    if ".." in parts or "\x00" in name:
        raise BackupError(f'The backup contains an entry that points outside it: "{raw}".')
    return name


def _check_kind(info: zipfile.ZipInfo, name: str) -> None:
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0: the zip tool recorded no file type
    if kind == stat.S_IFLNK:
        raise BackupError(f'The backup contains a symbolic link, "{name}"; links are refused.')
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise BackupError(f'The backup contains a special file, "{name}"; it is refused.')
    if info.flag_bits & 0x1:
        raise BackupError(f'The backup entry "{name}" is encrypted; it cannot be restored.')
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise BackupError(
            f'The backup entry "{name}" uses an unsupported compression method '
            f"({info.compress_type}); only stored and deflated entries are read."
        )


def _check_expansion(info: zipfile.ZipInfo, name: str, limits: RestoreLimits) -> None:
    if info.file_size < _RATIO_CHECK_FROM:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > limits.max_ratio:
        raise BackupError(
            f'The backup entry "{name}" expands {ratio:.0f} times ({size_text(info.compress_size)} '
            f"to {size_text(info.file_size)}), more than the limit of {limits.max_ratio}: it is "
            "refused as a possible zip bomb."
        )


def _check_archive_expansion(total: int, compressed: int, limits: RestoreLimits) -> None:
    """Many entries, each too small for ``_check_expansion``, may still add up to a bomb."""
    ratio = total / max(compressed, 1)
    if total >= _RATIO_CHECK_FROM and ratio > limits.max_ratio:
        raise BackupError(
            f"The backup expands {ratio:.0f} times as a whole ({size_text(compressed)} to "
            f"{size_text(total)}), more than the limit of {limits.max_ratio}: it is refused as a "
            "possible zip bomb."
        )


def _read_manifest(archive: zipfile.ZipFile, wanted: dict[str, zipfile.ZipInfo]) -> Manifest | None:
    info = wanted.get(MANIFEST_NAME)
    if info is None:
        return None  # a backup made by the Privatefolio backend
    if info.file_size > _MAX_MANIFEST_BYTES:
        raise BackupError("The backup's manifest.json is too large to be a manifest.")
    manifest = parse_manifest(_read_small(archive, info))
    present = {_safe_name(entry.filename) for entry in archive.infolist()}
    for name in manifest.entries:
        if name in present and name not in wanted:
            raise BackupError(
                f'The backup entry "{name}" is listed in manifest.json but is not one a backup '
                "holds (database.sqlite, files/<id>, logs/server_task_<id>.log)."
            )
        if name not in wanted:
            raise BackupError(
                f'The backup is incomplete: "{name}" is listed in manifest.json but missing.'
            )
    for name in wanted:
        if name != MANIFEST_NAME and name not in manifest.entries:
            raise BackupError(f'The backup entry "{name}" is not listed in manifest.json.')
    return manifest


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as reader:
            return reader.read(_MAX_MANIFEST_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise BackupError(f'The backup entry "{info.filename}" is damaged ({error}).') from error


def _extract_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    entry_name: str,
    target: Path,
    manifest: Manifest | None,
    progress: _Progress,
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with archive.open(info) as reader, target.open("xb") as writer:
            while chunk := reader.read(CHUNK):
                size += len(chunk)
                if size > info.file_size:
                    raise BackupError(
                        f'The backup entry "{entry_name}" holds more data than its declared size.'
                    )
                digest.update(chunk)
                writer.write(chunk)
                progress.add(len(chunk))
            writer.flush()
            os.fsync(writer.fileno())  # durable before a journal may point at it
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise BackupError(f'The backup entry "{entry_name}" is damaged ({error}).') from error
    if manifest is not None:
        expected = manifest.entries[entry_name]
        if size != expected.size or digest.hexdigest() != expected.sha256:
            raise BackupError(
                f'The backup entry "{entry_name}" does not match manifest.json (its sha256 or '
                "size differs): the backup is damaged or was altered."
            )


def _check_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed + _DISK_MARGIN:
        raise BackupError(
            f"Not enough free disk space to restore: the backup needs {size_text(needed)}, "
            f"{size_text(free)} are free."
        )


def size_text(size: int) -> str:
    """A size for people: ``"64.0 KiB"``, ``"1.0 MiB"``, ``"2.5 GiB"``."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
