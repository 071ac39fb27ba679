"""Every connection test runs against the account ``main`` of a fresh daemon."""

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.connections.helpers import ACCOUNT


@pytest.fixture(autouse=True)
async def main_account(client: DaemonClient) -> None:
    await client.call("createAccount", ACCOUNT)
