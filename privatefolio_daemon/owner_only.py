"""The data dir holds the portfolio: what the daemon, ``backup`` and ``restore`` create in it is
their user's alone, whatever the umask, and a data dir that other users can enter is named at
start with the command that closes it (left as it is: a folder shared on purpose stays so)."""

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

#: Group and others get no access to a file or folder made after ``make_files_owner_only``.
OWNER_ONLY_UMASK = 0o077


def make_files_owner_only() -> None:
    os.umask(OWNER_ONLY_UMASK)


def warn_if_others_can_enter(data_dir: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & 0o077:
        log.warning(
            "The data directory %s is open to other users (mode %s): they can read the "
            "portfolio in it. Make it yours alone with: chmod 700 %s",
            data_dir,
            oct(mode)[2:],
            data_dir,
        )
