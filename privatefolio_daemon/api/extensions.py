"""Extension methods: the file formats, connections, price APIs and metadata source the daemon
offers, with their platforms."""

from typing import Any

from privatefolio_daemon.domain.extensions import ExtensionCatalog, ExtensionType
from privatefolio_daemon.rpc.params import Count
from privatefolio_daemon.rpc.registry import rpc_method


class ExtensionsApi:
    def __init__(self, extensions: ExtensionCatalog) -> None:
        self._extensions = extensions

    @rpc_method()
    async def getExtensions(self, documentedOnly: bool = False) -> list[dict[str, Any]]:
        """Every extension by name; with ``documentedOnly``, those with a how-to."""
        return self._extensions.all(documentedOnly)

    @rpc_method()
    async def getExtension(self, id: str) -> dict[str, Any] | None:
        """One extension, or null."""
        return self._extensions.get(id)

    @rpc_method()
    async def findExtensions(self, query: str, limit: Count = 5) -> list[dict[str, Any]]:
        """Extensions whose name, id, author or description contain the query (any case)."""
        return self._extensions.find(query, limit)

    @rpc_method()
    async def getExtensionsByType(self, type: ExtensionType) -> list[dict[str, Any]]:
        """The extensions of one type: file-import, connection, price-api or metadata."""
        return self._extensions.of_type(type)
