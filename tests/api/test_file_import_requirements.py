"""What the frontend must ask the user before an import: nothing, a platform, an address."""

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import upload

ETHERSCAN_ERC20 = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
    '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"\n'
)


@pytest.mark.parametrize(
    ("content", "requirements"),
    [
        (b"User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n", None),
        (b"no,such,header\n", None),
        (
            ETHERSCAN_ERC20.encode(),
            [{"name": "platform", "type": "platform"}, {"name": "userAddress", "type": "address"}],
        ),
    ],
)
async def test_only_a_file_that_needs_context_lists_requirements(
    client: DaemonClient, daemon: Daemon, content: bytes, requirements: object
) -> None:
    await client.call("createAccount", "main")
    record = await upload(daemon, client, "file.csv", content)
    assert await client.call("getFileImportRequirements", "main", record) == requirements
