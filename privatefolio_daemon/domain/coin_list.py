"""Downloading the coin list (CoinGecko ``/coins/list?include_platform=true`` shape) into the
on-disk cache ``<data>/cache/coins/all.json``.

The list is ``[{id, symbol, name, platforms: {<platform>: <contract>}}]``; an optional
``market_cap_rank`` is kept to choose between coins that share a symbol.
"""

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.logo_urls import is_logo_url

log = logging.getLogger(__name__)

MAX_COIN_LIST_BYTES = 64 * 2**20


class CoinListError(Exception):
    """The coin list could not be downloaded or is not a coin list."""


def cache_path(data_dir: Path) -> Path:
    return data_dir / "cache" / "coins" / "all.json"


def check_coin_list_url(url: Any) -> None:
    """An http(s) address with a host: the server setting ``coinListUrl``."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"The coin list URL must be an http:// or https:// address, not {url!r}"
        )


async def download_coin_list(url: str, timeout_seconds: float) -> list[dict[str, Any]]:
    """Fetch and validate the coin list. Raises ``CoinListError`` with a message for the user."""
    check_coin_list_url(url)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status != 200:
                raise CoinListError(
                    f"Could not download the coin list from {url}: HTTP {response.status}"
                    + (" (too many requests: try again later)" if response.status == 429 else "")
                )
            body = await _body(response, url)
    except TimeoutError as error:
        raise CoinListError(
            f"Could not download the coin list from {url}: no answer within {timeout_seconds:g} s"
        ) from error
    except aiohttp.ClientError as error:
        raise CoinListError(f"Could not download the coin list from {url}: {error}") from error
    return await asyncio.to_thread(parse_coin_list, body, url)


async def _body(response: aiohttp.ClientResponse, url: str) -> bytes:
    """The whole body, refused as soon as it is known to pass ``MAX_COIN_LIST_BYTES``."""
    too_large = CoinListError(f"The coin list from {url} is larger than 64 MiB")
    if (response.content_length or 0) > MAX_COIN_LIST_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > MAX_COIN_LIST_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_coin_list(body: bytes, source: str) -> list[dict[str, Any]]:
    try:
        coins = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise CoinListError(f"The coin list from {source} is not JSON: {error}") from error
    if not isinstance(coins, list):
        raise CoinListError(f"The coin list from {source} is not a JSON array")
    if not coins:  # would leave every token unlisted, and so taken for spam
        raise CoinListError(f"The coin list from {source} is empty")
    kept = [_coin(item) for item in coins if _is_coin(item)]
    if not kept:
        raise CoinListError(
            f"The coin list from {source} has no entries of the form {{id, symbol, name}}"
        )
    return kept


def _is_coin(item: Any) -> bool:
    """An entry with an id and a symbol that can be part of an asset id (no ``:``, no space)."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and isinstance(item.get("symbol"), str)
        and _id_part(item["id"])
        and _id_part(item["symbol"])
    )


def _id_part(text: str) -> bool:
    return bool(text) and ":" not in text and not any(char.isspace() for char in text)


def _coin(item: dict[str, Any]) -> dict[str, Any]:
    platforms = item.get("platforms")
    coin: dict[str, Any] = {
        "id": item["id"],
        "symbol": item["symbol"],
        "name": item.get("name") if isinstance(item.get("name"), str) else item["symbol"],
        "platforms": {
            str(name): str(address)
            for name, address in (platforms.items() if isinstance(platforms, dict) else ())
            if name and isinstance(address, str) and address
        },
    }
    rank = item.get("market_cap_rank")
    if isinstance(rank, int) and not isinstance(rank, bool):
        coin["market_cap_rank"] = rank
    for key in ("image", "logoUrl"):
        if isinstance(item.get(key), str) and is_logo_url(item[key]):
            coin["logoUrl"] = item[key]
    return coin


async def save_coin_list(path: Path, coins: list[dict[str, Any]]) -> bool:
    """Write the cache atomically: a reader sees the old list or the new one, never half.
    Returns whether the list differs from the one cached."""

    def write() -> bool:
        content = orjson.dumps(coins)
        with contextlib.suppress(OSError):
            if path.read_bytes() == content:
                return False
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(content)
        partial.replace(path)
        return True

    return await asyncio.to_thread(write)


def read_cached_coin_list(path: Path) -> list[dict[str, Any]]:
    """The cached list, or ``[]`` when there is none or it is unreadable (logged: the next
    refresh downloads it again, "only if needed" too)."""
    try:
        return parse_coin_list(path.read_bytes(), str(path))
    except FileNotFoundError:
        return []
    except (OSError, CoinListError) as error:
        log.warning(
            "The cached coin list cannot be read, so it will be downloaded again: %s", error
        )
        return []
