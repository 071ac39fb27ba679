"""An exchange's own words quoted in a sync error never carry a secret, even cut short."""

import ccxt.async_support as ccxt_async

from privatefolio_daemon.sources.exchanges.errors import MAX_QUOTED_CHARS, sync_error

KEY = "Wq3RkT8sLw0VnB6yHc2JpXe9ZaMd4GfU7tQy1NbVo5CrLh0SiKj6EwPz8DxYs3Am"


def test_a_key_that_the_cut_would_split_is_taken_out_first() -> None:
    words = "Unexpected request context; " + "x" * (MAX_QUOTED_CHARS - 50) + f" for key {KEY}"
    error = sync_error(ccxt_async.ExchangeError(words), "Binance", secrets=(KEY, "s3cret"))
    message = str(error)
    assert KEY[:8] not in message
    assert message.startswith("Binance returned an error: Unexpected request context; xxx")
    assert message.endswith(" for key ***")
