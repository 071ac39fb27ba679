"""``rpc.discover`` describes every method the table holds, those added after a first call too."""

from privatefolio_daemon.rpc.builtins import add_builtin_methods
from privatefolio_daemon.rpc.registry import MethodTable


async def test_a_method_added_after_a_discovery_is_in_the_next_one() -> None:
    table = MethodTable()
    add_builtin_methods(table, title="probe", version="1")
    discover = table.get("rpc.discover")
    assert discover is not None
    first = await discover.handler()
    names = [method["name"] for method in first["methods"]]
    assert names == ["ping", "rpc.discover", "unsubscribe"]

    async def later(name: str) -> str:
        """Loaded once the server listens."""
        return name

    table.add(later, "later")
    second = await discover.handler()
    assert "later" in [method["name"] for method in second["methods"]]
    assert await discover.handler() is second
