"""Which source syncs a connection, found from its ``extensionId``.

- ``etherscan-connection``: ``EvmWalletSource`` (one instance, which keeps RPC pools and caches);
  the platform is a chain of ``data/chains.json``, e.g. ``chain.ethereum``.
- ``<exchange>-connection``: ``ExchangeAccountSource(<exchange>)`` for any ccxt exchange id
  (binance and kraken are tested); the platform is ``ex.<exchange>``.

Where a sync goes: an EVM connection's ``options`` (``rpcUrls``, ``explorerApiUrl``,
``multicall3``, see ``sources/evm/wallet_settings.py``) override its chain's defaults, which is
also how tests point it at the local node and the Etherscan stand-in. Exchanges go to ccxt's URLs,
unless ``ConnectionSourceSettings.exchange_api_urls`` (``Daemon.connection_sources.settings``,
set by tests only) moves an exchange's API to a stand-in.
"""

import asyncio
import importlib
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.settings import ConnectionSourceSettings
from privatefolio_daemon.sources.connection_source import ConnectionSource
from privatefolio_daemon.sources.evm.chains import builtin_chain, unsupported_platform

if TYPE_CHECKING:  # the sources are imported when a connection first syncs, not at start-up
    from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource

# web3 logs every request's URI at DEBUG, and an RPC URL can carry a key: its loggers drop DEBUG
# whatever the root level is (ccxt's wire logger is held the same way in sources/exchanges).
logging.getLogger("web3").setLevel(logging.INFO)

EVM_EXTENSION = "etherscan-connection"
_EXCHANGE_EXTENSION = re.compile(r"([a-z0-9]+)-connection")


def exchange_of(extension_id: str) -> str | None:
    """The ccxt exchange id of an exchange extension, or None for another extension."""
    match = _EXCHANGE_EXTENSION.fullmatch(extension_id)
    if match is None or extension_id == EVM_EXTENSION:
        return None
    return match.group(1)


def check_platform(extension_id: str, platform_id: str) -> None:
    """Refuse an extension this daemon has no source for, or a platform it does not serve."""
    if extension_id == EVM_EXTENSION:
        if builtin_chain(platform_id) is None:
            raise InvalidInputError(unsupported_platform(platform_id))
        return
    exchange = exchange_of(extension_id)
    if exchange is None:
        raise InvalidInputError(f"Unsupported connection extension: {extension_id}")
    if platform_id != f"ex.{exchange}":
        raise InvalidInputError(
            f"The platform of a {extension_id} connection is ex.{exchange}, not {platform_id}"
        )


async def check_exchange(extension_id: str) -> None:
    """Refuse an exchange extension whose exchange ccxt does not know. ccxt is imported off the
    event loop: the first time costs about 2 s."""
    exchange = exchange_of(extension_id)
    if exchange is None:
        return
    ccxt_async = await asyncio.to_thread(importlib.import_module, "ccxt.async_support")
    if exchange not in ccxt_async.exchanges:
        raise InvalidInputError(f"Unknown exchange in 'extensionId': {exchange} (not a ccxt id)")


class ConnectionSources:
    def __init__(self, settings: ConnectionSourceSettings | None = None) -> None:
        #: Read at each sync, so a test may replace it on a running daemon.
        self.settings = settings or ConnectionSourceSettings()
        self._evm: EvmWalletSource | None = None

    @property
    def evm(self) -> "EvmWalletSource":
        if self._evm is None:
            from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource

            self._evm = EvmWalletSource()
        return self._evm

    def source_for(self, extension_id: str) -> ConnectionSource:
        if extension_id == EVM_EXTENSION:
            return self.evm
        exchange = exchange_of(extension_id)
        if exchange is None:
            raise InvalidInputError(f"Unsupported connection extension: {extension_id}")
        settings = self.settings
        from privatefolio_daemon.sources.exchanges.account_source import ExchangeAccountSource

        return ExchangeAccountSource(
            exchange,
            configure=lambda client: _configure_exchange(client, exchange, settings),
            timeout_ms=settings.exchange_timeout_ms,
            retry_delays=settings.exchange_retry_delays,
        )

    async def close(self, _app: object = None) -> None:
        if self._evm is not None:
            evm, self._evm = self._evm, None
            await evm.close()


def _configure_exchange(client: Any, exchange: str, settings: ConnectionSourceSettings) -> None:
    base_url = settings.exchange_api_urls.get(exchange)
    if base_url:
        client.urls["api"] = _moved(client.urls["api"], base_url)
    if settings.exchange_refill_rate is not None:
        client.throttler.config["refillRate"] = settings.exchange_refill_rate


def _moved(urls: Any, base_url: str) -> Any:
    """ccxt's ``urls['api']`` (nested dicts of URLs) with every URL's host moved to
    ``base_url``; paths are kept, so one stand-in serves every endpoint family."""
    if isinstance(urls, dict):
        return {key: _moved(value, base_url) for key, value in urls.items()}
    if isinstance(urls, str) and urls.startswith(("http://", "https://")):
        return base_url.rstrip("/") + urlsplit(urls).path.rstrip("/")
    return urls
