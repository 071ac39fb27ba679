"""The error a backup or a restore reports to the user."""

from privatefolio_daemon.domain.errors import InvalidInputError


class BackupError(InvalidInputError):
    """The backup cannot be made or restored; the message names what is wrong."""
