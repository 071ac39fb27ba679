import asyncio
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from privatefolio_daemon.sources.prices.base import PriceFetchError, ProviderUnreachable
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import TefasHistoryStandin

ASSET = "fund.tefas:TI2"


@pytest.fixture
def api() -> Iterator[tuple[TefasHistoryStandin, str]]:
    standin = TefasHistoryStandin()
    with serve_in_thread(standin.app()) as url:
        yield standin, f"{url}/api/DB/BindHistoryInfo"


def make_fetcher(
    sleeps: list[float],
    *,
    policy: FetchPolicy | None = None,
    limiter: HostRateLimiter | None = None,
) -> JsonFetcher:
    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    return JsonFetcher("TEFAS", policy=policy, limiter=limiter, sleep=record)


FORM = {"fontip": "YAT", "fonkod": "TI2", "bastarih": "01.01.2024", "bittarih": "02.01.2024"}
EMPTY = {"draw": 0, "recordsTotal": 0, "recordsFiltered": 0, "data": []}


async def test_posts_the_form_and_returns_the_json(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    fetcher = make_fetcher([])
    try:
        body = await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert body == EMPTY
    assert [(r.method, r.path, r.form) for r in standin.requests] == [
        ("POST", "/api/DB/BindHistoryInfo", FORM)
    ]


async def test_without_retry_after_the_backoff_doubles_then_gives_up(
    api: tuple[TefasHistoryStandin, str],
) -> None:
    standin, url = api
    standin.throttle_next(10, retry_after=None)
    sleeps: list[float] = []
    fetcher = make_fetcher(sleeps)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert sleeps == [0.5, 1.0, 2.0]
    assert len(standin.requests) == 4
    assert str(caught.value) == (
        "TEFAS: HTTP 429 (still failing after 3 retries) (asset fund.tefas:TI2)"
    )


@pytest.mark.parametrize(
    ("retry_after", "expected_sleep"),
    [("7", 7.0), ("120", 30.0), ("soon", 0.5)],
)
async def test_retry_after_seconds_are_honoured_up_to_the_bound(
    api: tuple[TefasHistoryStandin, str], retry_after: str, expected_sleep: float
) -> None:
    standin, url = api
    standin.throttle_next(1, retry_after=retry_after)
    sleeps: list[float] = []
    fetcher = make_fetcher(sleeps)
    try:
        assert await fetcher.post_form(url, asset_id=ASSET, form=FORM) == EMPTY
    finally:
        await fetcher.close()

    assert sleeps == [expected_sleep]


async def test_retry_after_as_an_http_date(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    standin.throttle_next(
        1, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    )
    sleeps: list[float] = []
    fetcher = make_fetcher(sleeps)
    try:
        await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert len(sleeps) == 1
    assert 18.0 <= sleeps[0] <= 20.0


async def test_the_real_wait_honours_retry_after(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    standin.throttle_next(1, retry_after="1")
    fetcher = JsonFetcher("TEFAS")
    started = time.monotonic()
    try:
        assert await fetcher.post_form(url, asset_id=ASSET, form=FORM) == EMPTY
    finally:
        await fetcher.close()

    assert time.monotonic() - started >= 1.0


async def test_a_5xx_is_retried_then_succeeds(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    standin.answer_next(2, 503, body=b"Service Unavailable")
    sleeps: list[float] = []
    fetcher = make_fetcher(sleeps)
    try:
        assert await fetcher.post_form(url, asset_id=ASSET, form=FORM) == EMPTY
    finally:
        await fetcher.close()

    assert sleeps == [0.5, 1.0]
    assert len(standin.requests) == 3


async def test_a_4xx_is_not_retried(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    standin.answer_next(1, 404, body=b"Not Found")
    sleeps: list[float] = []
    fetcher = make_fetcher(sleeps)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert str(caught.value) == "TEFAS: HTTP 404 (asset fund.tefas:TI2)"
    assert sleeps == []
    assert len(standin.requests) == 1


async def test_a_timeout_names_the_limit(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    standin.delay_s = 0.6
    fetcher = make_fetcher([], policy=FetchPolicy(timeout_s=0.25))
    try:
        with pytest.raises(PriceFetchError) as caught:
            await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert str(caught.value) == "TEFAS: timed out after 0.25 s (asset fund.tefas:TI2)"
    assert caught.value.provider_name == "TEFAS"
    assert caught.value.asset_id == ASSET


async def test_a_body_that_is_not_json(api: tuple[TefasHistoryStandin, str]) -> None:
    standin, url = api
    standin.malformed_body = b"Request Rejected. The requested URL was rejected."
    fetcher = make_fetcher([])
    try:
        with pytest.raises(PriceFetchError) as caught:
            await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert caught.value.reason == (
        "malformed response: not JSON: 'Request Rejected. The requested URL was '"
    )


async def test_a_refused_connection_is_a_fetch_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = make_fetcher([])
    try:
        with pytest.raises(PriceFetchError) as caught:
            await fetcher.get_json(f"http://127.0.0.1:{port}/chart", asset_id=ASSET)
    finally:
        await fetcher.close()

    assert isinstance(caught.value, ProviderUnreachable)
    assert caught.value.reason.startswith(
        f"cannot connect: Cannot connect to host 127.0.0.1:{port}"
    )


async def test_requests_to_one_host_share_its_rate_limit(
    api: tuple[TefasHistoryStandin, str],
) -> None:
    _, url = api
    limiter = HostRateLimiter(rate=20, burst=1)
    fetcher = JsonFetcher("TEFAS", limiter=limiter)
    started = time.monotonic()
    try:
        for _ in range(3):
            await fetcher.post_form(url, asset_id=ASSET, form=FORM)
    finally:
        await fetcher.close()

    assert time.monotonic() - started >= 0.09


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 9))
        self.now += seconds


async def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(rate=10, burst=2, clock=clock, sleep=clock.sleep)

    for _ in range(4):
        await limiter.acquire("query1.finance.yahoo.com")
    assert clock.sleeps == [0.1, 0.1]

    await limiter.acquire("coins.llama.fi")
    assert clock.sleeps == [0.1, 0.1]

    clock.now += 5.0
    await limiter.acquire("query1.finance.yahoo.com")
    await limiter.acquire("query1.finance.yahoo.com")
    await limiter.acquire("query1.finance.yahoo.com")
    assert clock.sleeps == [0.1, 0.1, 0.1]


async def test_waiting_callers_are_served_one_token_each() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(rate=4, burst=1, clock=clock, sleep=clock.sleep)

    await asyncio.gather(*(limiter.acquire("tefas.gov.tr") for _ in range(3)))

    assert clock.sleeps == [0.25, 0.25]


def test_rate_and_burst_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate must be positive, got 0"):
        HostRateLimiter(rate=0, burst=1)
    with pytest.raises(ValueError, match="burst must be at least 1, got 0"):
        HostRateLimiter(rate=1, burst=0)
