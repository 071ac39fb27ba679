"""Finishing a committed swap never fails: what cannot be settled now is left for the start."""

from pathlib import Path

import pytest

from privatefolio_daemon.domain.backup.swap import SwapItem, SwapJournal, finish


def test_a_journal_that_cannot_be_removed_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = tmp_path / "files" / "main"
    item = SwapItem("files", live, 7)
    item.previous.mkdir(parents=True)
    (item.previous / "1").write_bytes(b"the old upload")
    journal_path = tmp_path / "main.restore.json"
    journal_path.mkdir()  # a journal that cannot be unlinked
    (journal_path / "x").write_text("x")
    journal = SwapJournal(journal_path, "main", [item], "committed")

    finish(journal)

    assert not item.previous.exists()
    assert journal_path.is_dir()
    assert "The restore of main is done, but its journal" in caplog.text
