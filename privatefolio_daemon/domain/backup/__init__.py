"""Backups of an account (a zip of its database, user files and task logs) and their restore.

``backups.py`` is the entry point; the other modules are one step each: the database snapshot,
the archive writer and reader, the checks of a restored database, and the atomic file swap.
"""
