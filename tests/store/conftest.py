"""Fixtures shared by the store's tests."""

import sqlite3
from pathlib import Path

import pytest

from tests.store.account_file import migrated_account


@pytest.fixture
def ledger(tmp_path: Path) -> sqlite3.Connection:
    """A migrated account database, open in autocommit mode."""
    return migrated_account(tmp_path)
