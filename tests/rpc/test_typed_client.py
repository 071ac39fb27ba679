"""The typed client is generated from the method table and must not drift from it."""

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

from privatefolio_daemon.client import DaemonClient

REPO = Path(__file__).resolve().parents[2]


def load_generator() -> object:
    spec = importlib.util.spec_from_file_location(
        "generate_client", REPO / "scripts" / "tools" / "generate_client.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_client_is_up_to_date() -> None:
    generator = load_generator()
    current = (REPO / "privatefolio_daemon" / "client_methods.py").read_text(encoding="utf-8")
    assert current == generator.generated_source(), (  # type: ignore[attr-defined]
        "privatefolio_daemon/client_methods.py is stale: run scripts/tools/generate_client.py"
    )


async def test_typed_methods_call_the_daemon(client: DaemonClient) -> None:
    await client.createAccount("main")
    assert await client.getAccountNames() == ["main"]
    settings = await client.updateSettings("main", {"networthRefreshInterval": 30})
    assert settings["networthRefreshInterval"] == 30
    document = await client.rpc_discover()
    assert "getAccountNames" in {method["name"] for method in document["methods"]}


async def test_decimals_are_sent_as_amounts_and_an_unsendable_value_is_a_clear_error(
    client: DaemonClient,
) -> None:
    await client.createAccount("main")
    deposit = {
        "type": "Deposit",
        "timestamp": 1_700_000_000_000,
        "wallet": "Vault",
        "platformId": "app.manual",
        "incoming": Decimal("1E-7"),
        "incomingAsset": "metal:XAU",
    }
    tx_id = await client.addTransaction(deposit, "main")
    assert (await client.getTransaction("main", tx_id))["incoming"] == "0.0000001"

    with pytest.raises(ValueError, match=r"^Could not send getTransaction: Integer exceeds 64-bit"):
        await client.getTransaction("main", 2**70)
    with pytest.raises(ValueError, match=r"^Could not send getValue: Type is not JSON"):
        await client.getValue("main", object())
    assert await client.countTransactions("main") == 1


async def test_a_batch_of_more_calls_than_the_daemon_takes_is_refused_before_it_goes(
    client: DaemonClient,
) -> None:
    with pytest.raises(ValueError) as refused:
        await client.batch([("ping", [])] * 1001)
    assert str(refused.value) == (
        "Could not send the batch: it holds 1,001 calls, more than the 1,000 the daemon takes "
        "in one batch"
    )
    assert await client.batch([("ping", [])] * 1000) == ["pong"] * 1000
