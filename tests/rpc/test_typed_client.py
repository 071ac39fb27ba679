"""The typed client is generated from the method table and must not drift from it."""

import importlib.util
from pathlib import Path

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
