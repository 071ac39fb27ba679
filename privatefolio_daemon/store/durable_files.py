"""Small files that must be whole after a crash: written beside, synced, then renamed in."""

import contextlib
import os
from pathlib import Path


def write_durably(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content``: a crash leaves the old file or the new, never a part."""
    partial = path.with_name(f"{path.name}.tmp")
    with partial.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """Make renames in ``directory`` durable (a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
