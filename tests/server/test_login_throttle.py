"""Guessing the password: a back-off after wrong passwords, a warning for each, passwords that
are hard enough to guess, one winner when setups race, and hashing that does not starve the
daemon's default thread pool."""

import asyncio
import logging
import threading

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.server import credentials as credentials_module
from privatefolio_daemon.server.login_throttle import LoginThrottle
from tests.conftest import http_url

PASSWORD = "correct horse"


def test_the_delay_starts_after_five_wrong_passwords_doubles_and_resets_on_success() -> None:
    now = [100.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    assert [throttle.failed() for _ in range(4)] == [0, 0, 0, 0]
    assert throttle.retry_after() == 0
    assert throttle.failed() == 5
    assert throttle.retry_after() == 5
    now[0] += 5
    assert throttle.retry_after() == 0
    assert throttle.failed() == 10
    now[0] += 3.5
    assert throttle.retry_after() == 7
    now[0] += 10
    assert throttle.failed() == 20
    throttle.succeeded()
    assert (throttle.retry_after(), throttle.failures) == (0, 0)
    assert [throttle.failed() for _ in range(4)] == [0, 0, 0, 0]


def test_the_delay_is_capped() -> None:
    throttle = LoginThrottle(clock=lambda: 0.0)
    delays = [throttle.failed() for _ in range(100)]
    assert max(delays) == delays[-1] == 900


async def login(
    session: aiohttp.ClientSession, daemon: Daemon, password: str
) -> tuple[int, dict[str, str], str]:
    async with session.post(
        http_url(daemon, "/api/login"), json={"password": password}
    ) as response:
        return response.status, dict(response.headers), await response.text()


async def test_after_five_wrong_passwords_logins_wait_and_each_failure_is_logged(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    await daemon.credentials.set_password(PASSWORD)
    caplog.set_level(logging.WARNING, logger="privatefolio_daemon.server.rest")
    async with aiohttp.ClientSession() as session:
        for attempt in range(5):
            status, _, _ = await login(session, daemon, f"guess number {attempt}")
            assert status == 401
        status, headers, text = await login(session, daemon, PASSWORD)
    assert status == 429
    assert headers["Retry-After"] == "5"
    assert text == '{"error": "Too many wrong passwords: try again in 5 s"}'
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 5
    assert warnings[0] == "Wrong password at /api/login from 127.0.0.1 (1 in a row)"
    assert warnings[4] == (
        "Wrong password at /api/login from 127.0.0.1 (5 in a row): logins wait 5 s"
    )
    assert not any("guess" in text for text in warnings)


async def test_a_right_password_resets_the_count(daemon: Daemon) -> None:
    await daemon.credentials.set_password(PASSWORD)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            for attempt in range(4):
                assert (await login(session, daemon, f"guess {attempt}"))[0] == 401
            assert (await login(session, daemon, PASSWORD))[0] == 200


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("seven77", "Password is required and must be at least 8 characters long."),
        ("    ", "Password is required and must be at least 8 characters long."),
        (" \t      \n", "The password cannot be only spaces."),
        ("\ud800abcdefgh", "The password is not valid text (it holds a lone surrogate)."),
    ],
)
async def test_setup_refuses_a_weak_or_broken_password(
    daemon: Daemon, password: str, error: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(http_url(daemon, "/api/setup"), json={"password": password}) as response,
    ):
        assert (response.status, await response.json()) == (400, {"error": error})
    assert not daemon.credentials.is_password_set()


async def test_login_with_a_broken_password_is_a_bad_request(daemon: Daemon) -> None:
    await daemon.credentials.set_password(PASSWORD)
    async with aiohttp.ClientSession() as session:
        status, _, text = await login(session, daemon, "\ud800abcdefgh")
    assert (status, text) == (
        400,
        '{"error": "The password is not valid text (it holds a lone surrogate)."}',
    )


async def test_concurrent_setups_have_one_winner(daemon: Daemon) -> None:
    async def setup(session: aiohttp.ClientSession, number: int) -> int:
        body = {"password": f"user{number}-password"}
        async with session.post(http_url(daemon, "/api/setup"), json=body) as response:
            return response.status

    async with aiohttp.ClientSession() as session:
        statuses = await asyncio.gather(*(setup(session, number) for number in range(4)))
        assert sorted(statuses) == [201, 409, 409, 409]
        winner = statuses.index(201)
        for number in range(4):
            status, _, _ = await login(session, daemon, f"user{number}-password")
            assert status == (200 if number == winner else 401)


async def test_passwords_are_hashed_on_their_own_thread(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: set[str] = set()
    scrypt = credentials_module._scrypt

    def recording(password: bytes, salt: bytes) -> bytes:
        threads.add(threading.current_thread().name)
        return scrypt(password, salt)

    monkeypatch.setattr(credentials_module, "_scrypt", recording)
    await daemon.credentials.set_password(PASSWORD)
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(login(session, daemon, f"guess {n}") for n in range(4)))
    assert len(threads) == 1
    assert threads.pop().startswith("password-hash")
