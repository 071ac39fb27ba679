"""The scene every EVM source test starts from: a chain, an explorer and a wallet source."""

from collections.abc import AsyncIterator, Iterator

import pytest

from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.wallet_scene import Scene, wallet_scene


@pytest.fixture
def scene() -> Iterator[Scene]:
    with wallet_scene() as built:
        yield built


@pytest.fixture
async def source() -> AsyncIterator[EvmWalletSource]:
    wallet_source = EvmWalletSource()
    yield wallet_source
    await wallet_source.close()
