"""The daemon's limit of open files, raised to what the system allows.

Every connection, database file, log and upload holds a file descriptor. With the common soft
limit of 1,024 (256 on macOS), a thousand idle local connections left the daemon unable to open
an account's database ("Too many open files"), so at start the soft limit goes up to the hard
one, which an unprivileged process may do. Where there is no such limit (Windows), nothing
changes.
"""

import logging

log = logging.getLogger(__name__)

#: Enough for any number of clients a local daemon meets; an "unlimited" hard limit stops here.
MOST_OPEN_FILES = 1 << 20


def raise_open_file_limit() -> int | None:
    """Raise the soft limit of open files to the hard one; the limit now in force, or None
    where the platform has none."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MOST_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, MOST_OPEN_FILES)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as error:
            log.warning("Could not raise the limit of open files from %d: %s", soft, error)
            return soft
        return wanted
    return soft
