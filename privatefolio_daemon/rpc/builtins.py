"""Methods every RPC server has, whatever it serves: ping, unsubscribe and discovery."""

from typing import Any

from privatefolio_daemon.rpc.errors import NotFound
from privatefolio_daemon.rpc.openrpc import openrpc_document
from privatefolio_daemon.rpc.registry import CallContext, MethodTable


def add_builtin_methods(table: MethodTable, *, title: str, version: str) -> None:
    async def ping() -> str:
        """Answer "pong": a cheap call for liveness and latency checks."""
        return "pong"

    async def unsubscribe(ctx: CallContext, subscriptionId: str, throwOnError: bool = True) -> None:
        """Release a subscription made on this connection."""
        if not ctx.remove_subscription(subscriptionId) and throwOnError:
            raise NotFound(f"Subscription not found: {subscriptionId}")

    documents: dict[int, dict[str, Any]] = {}

    async def discover() -> dict[str, Any]:
        """The OpenRPC document of every method this server offers."""
        # Methods are only ever added, so the count tells whether the document is current.
        if len(table) not in documents:
            documents.clear()
            documents[len(table)] = openrpc_document(table, title=title, version=version)
        return documents[len(table)]

    table.add(ping, "ping")
    table.add(unsubscribe, "unsubscribe")
    table.add(discover, "rpc.discover")
