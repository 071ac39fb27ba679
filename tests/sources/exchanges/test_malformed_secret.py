"""A secret that cannot sign a request (not base64 for Kraken, a PEM that does not parse for
Coinbase) is the user's to fix: the error names the exchange and says the secret is malformed,
without quoting it, and nothing is sent that needs a signature."""

import logging
from collections.abc import Iterator

import pytest

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.exchanges.key_check import check_key
from tests.connections.coinbase_scene import KEY as COINBASE_KEY
from tests.connections.coinbase_scene import coinbase_standin
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.control import point_ccxt_at
from tests.standins.exchanges.kraken import KrakenStandin, configure_kraken_for_standin

BINANCE_KEY = "Mf3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df1"
KRAKEN_KEY = "kraken-malformed-test-key"
NOT_BASE64 = "not base64!! Tg7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az"
KRAKEN_MESSAGE = (
    "The Kraken API secret is malformed: it cannot sign a request. Kraken shows the private key "
    "as a base64 string of 88 characters; copy it again, whole."
)
COINBASE_MESSAGE = (
    "The Coinbase API secret is malformed: it cannot sign a request. Coinbase's is the key "
    "file's privateKey, a PEM block from -----BEGIN EC PRIVATE KEY----- to "
    "-----END EC PRIVATE KEY----- with its line breaks; copy it again, whole."
)


@pytest.fixture
def kraken() -> Iterator[tuple[KrakenStandin, Harness]]:
    standin = KrakenStandin()
    standin.add_asset("XXBT", "XBT")
    standin.add_asset("ZUSD", "USD")
    standin.add_pair("XXBT", "ZUSD")
    with serve_in_thread(standin.app()) as url:
        yield (
            standin,
            Harness("kraken", lambda exchange: configure_kraken_for_standin(exchange, url)),
        )


async def test_a_kraken_secret_that_is_not_base64_is_called_malformed(
    kraken: tuple[KrakenStandin, Harness], caplog: pytest.LogCaptureFixture
) -> None:
    standin, harness = kraken
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KRAKEN_KEY, NOT_BASE64), 0, harness.report)
    assert str(failure.value) == KRAKEN_MESSAGE
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
    assert harness.all_closed()
    # Public calls only: the signed balance request never left, and it was not retried.
    assert all("/private/" not in path for path in standin.control.paths())
    assert caplog.records
    assert not any(NOT_BASE64 in r.getMessage() + str(r.exc_info or "") for r in caplog.records)


async def test_the_key_check_says_the_same(kraken: tuple[KrakenStandin, Harness]) -> None:
    _, harness = kraken
    with pytest.raises(SyncError) as failure:
        await check_key(harness.source(), harness.spec(KRAKEN_KEY, NOT_BASE64))
    assert str(failure.value) == KRAKEN_MESSAGE


@pytest.mark.parametrize(
    "secret",
    [
        "-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5\n-----END EC PRIVATE KEY-----\n",
        "the key name pasted twice",
    ],
    ids=["PEM that does not parse", "no PEM at all"],
)
async def test_a_coinbase_private_key_that_does_not_parse_is_called_malformed(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    standin = coinbase_standin()
    with serve_in_thread(standin.app()) as url:
        harness = Harness("coinbase", lambda exchange: point_ccxt_at(exchange, url))
        with pytest.raises(SyncError) as failure:
            await harness.source().sync(harness.spec(COINBASE_KEY.name, secret), 0, harness.report)
    assert str(failure.value) == COINBASE_MESSAGE
    assert harness.all_closed()
    assert not any(secret in r.getMessage() + str(r.exc_info or "") for r in caplog.records)


async def test_a_binance_private_key_that_does_not_parse_is_called_malformed() -> None:
    """Binance takes an Ed25519 or RSA private key in PEM as the secret too; ccxt parses it."""
    standin = BinanceStandin()
    standin.add_market("BTC", "USDT")
    secret = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"
    with serve_in_thread(standin.app()) as url:
        harness = Harness("binance", lambda exchange: configure_binance_for_standin(exchange, url))
        with pytest.raises(SyncError) as failure:
            await harness.source().sync(harness.spec(BINANCE_KEY, secret), 0, harness.report)
    assert str(failure.value) == (
        "The Binance API secret is malformed: it cannot sign a request. "
        "Copy it again, whole, as Binance showed it."
    )
    assert standin.control.paths() == ["/api/v3/exchangeInfo"]
