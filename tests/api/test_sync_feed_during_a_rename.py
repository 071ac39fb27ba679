"""A follower woken while its account is between two names (a write landed as the rename began)
waits for the new name: no error in the log, and it goes on there."""

import logging
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.store.database import Database
from tests.api.manual_entries import until


class ChangeAnnouncedAtTheClose:
    """Announces a change of the account as its close begins, as a write that committed just
    then does: its followers read the feed while the account is closed."""

    def __init__(self, daemon: Daemon, account: str) -> None:
        self._daemon = daemon
        self._account = account

    async def account_opened(self, name: str, db: Database) -> None:
        pass

    async def account_closing(self, name: str) -> None:
        if name == self._account:
            self._daemon.events.emit("tags", "update", account=name)


async def test_a_follower_woken_during_a_rename_goes_on_under_the_new_name(
    client: DaemonClient, daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="privatefolio_daemon.domain.change_feed")
    await client.call("createAccount", "life")
    await client.call("upsertTags", "life", ["a"])
    pages: list[dict[str, Any]] = []
    await client.call("subscribeToChanges", "life", 0, pages.append)
    await until(lambda: bool(pages))
    daemon.accounts.add_lifecycle(ChangeAnnouncedAtTheClose(daemon, "life"))

    await client.call("renameAccount", "life", "life2")
    await until(lambda: len(pages) == 2)
    await client.call("upsertTags", "life2", ["b"])
    await until(lambda: len(pages) == 3)

    assert pages[1]["renamedTo"] == "life2"
    assert [c["record"] for c in pages[2]["changes"]] == [{"id": 2, "name": "b"}]
    # Why it waits is the registry's word for an account between its names.
    [(level, message, traceback)] = [
        (r.levelname, r.getMessage(), r.exc_info) for r in caplog.records
    ]
    assert (level, traceback) == ("INFO", None)
    assert message.startswith("Following the change feed of life waits for the account: ")
