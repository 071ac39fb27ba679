"""The price providers' settings: where each API lives, timeouts, retries and rate limits.

Kept apart from the providers so that reading the daemon's settings loads no HTTP client.
"""

from dataclasses import dataclass

YAHOO_URL = "https://query1.finance.yahoo.com"
DEFILLAMA_URL = "https://coins.llama.fi"
TEFAS_URL = "https://www.tefas.gov.tr"


@dataclass(frozen=True, slots=True)
class PriceSettings:
    yahoo_url: str = YAHOO_URL
    defillama_url: str = DEFILLAMA_URL
    tefas_url: str = TEFAS_URL
    timeout_s: float = 10.0
    max_retries: int = 3
    requests_per_second_per_host: float = 2.0
    burst_per_host: int = 5
    ccxt_exchanges: tuple[str, ...] = ("binance", "coinbase")
    ccxt_timeout_ms: int = 10_000
