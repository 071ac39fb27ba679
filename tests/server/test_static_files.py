"""Serving the frontend build: checked at start-up, a fallback to index.html only for the app's
own routes, headers that keep browsers from sniffing and from caching a stale index.html."""

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from tests.conftest import http_url, make_config
from tests.daemon_process import clean_environment, daemon_command

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    build = tmp_path / "build"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text("<html>app</html>")
    (build / "assets" / "index-BdQq_4o5.js").write_text("console.log(1)")
    (build / "favicon.ico").write_bytes(b"icon")
    return build


@pytest.fixture
async def serving(tmp_path: Path, build: Path) -> AsyncIterator[Daemon]:
    daemon = Daemon(make_config(tmp_path / "data", frontend_dir=str(build)))
    await daemon.start()
    try:
        yield daemon
    finally:
        await daemon.stop()


async def get(daemon: Daemon, path: str) -> tuple[int, str, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, path)) as response,
    ):
        return response.status, await response.text(), dict(response.headers)


async def test_hashed_assets_are_cached_for_good_and_index_html_is_revalidated(
    serving: Daemon,
) -> None:
    status, text, headers = await get(serving, "/assets/index-BdQq_4o5.js")
    assert (status, text, headers["Cache-Control"]) == (200, "console.log(1)", IMMUTABLE)
    assert headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/", "/index.html", "/portfolio/assets", "/favicon.ico"):
        status, _, headers = await get(serving, path)
        assert (status, headers["Cache-Control"]) == (200, "no-cache"), path
        assert headers["X-Content-Type-Options"] == "nosniff", path


@pytest.mark.parametrize(
    "path",
    [
        "/l/0/platform/chain.ethereum",
        "/l/0/asset/ex.binance:BTC",
        "/l/0/asset/chain.ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7",
        "/l/0/asset/stock:BRK.B",
    ],
)
async def test_the_apps_routes_with_dots_in_their_ids_load_the_app(
    serving: Daemon, path: str
) -> None:
    status, text, _ = await get(serving, path)
    assert (status, text) == (200, "<html>app</html>")


async def test_every_answer_says_nosniff(daemon: Daemon) -> None:
    _, _, headers = await get(daemon, "/ping")
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/api/unknown",
        "/api/login",
        "/api/setup",
        "/upload",
        "/assets/missing.js",
        "/assets/index-BdQq_4o5.js.map",
        "/robots.txt",
        "/assets/chunk",
        "/Logo.PNG",
        "/index.html%00.js",
        "/%00",
    ],
)
async def test_no_fallback_for_the_daemons_routes_or_missing_files(
    serving: Daemon, path: str
) -> None:
    status, text, _ = await get(serving, path)
    assert (status, text) == (404, "Not found.\n")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/portfolio", "GET, HEAD"),
        ("DELETE", "/assets/index-BdQq_4o5.js", "GET, HEAD"),
        ("POST", "/ping", "GET, HEAD"),
        ("PUT", "/upload", "POST"),
        ("DELETE", "/api/login", "POST"),
    ],
)
async def test_a_method_a_path_does_not_take_gets_405_naming_those_it_does(
    serving: Daemon, method: str, path: str, allowed: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, http_url(serving, path)) as response,
    ):
        assert (response.status, await response.text()) == (405, "Method not allowed.\n")
        assert response.headers["Allow"] == allowed


async def test_a_path_under_api_that_is_no_route_is_not_found_whatever_the_method(
    serving: Daemon,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(http_url(serving, "/api/unknown")) as response,
    ):
        assert (response.status, await response.text()) == (404, "Not found.\n")


async def test_a_build_that_lost_its_index_html_does_not_tell_where_it_is(
    serving: Daemon, build: Path
) -> None:
    (build / "index.html").unlink()
    status, text, _ = await get(serving, "/portfolio")
    assert (status, text) == (404, "The frontend build has no index.html.\n")


def serve(*extra: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        daemon_command(Path(environment.pop("data")), "--port", "0", *extra),
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean_environment(), **environment},
    )


def test_a_frontend_dir_that_cannot_be_served_is_bad_configuration(
    tmp_path: Path, build: Path
) -> None:
    data = str(tmp_path / "data")
    missing = tmp_path / "dist"
    (build / "index.html").rename(tmp_path / "index.html")
    cases = {
        missing: f"The frontend build {missing} does not exist: check --frontend-dir or "
        "FRONTEND_DIR",
        tmp_path / "index.html": f"The frontend build {tmp_path / 'index.html'} is not a "
        "directory: give --frontend-dir or FRONTEND_DIR the folder that holds index.html",
        build: f"The frontend build {build} has no index.html: give --frontend-dir or "
        "FRONTEND_DIR the folder that holds it (the build output, such as dist/)",
    }
    for path, message in cases.items():
        from_flag = serve("--frontend-dir", str(path), data=data)
        assert (from_flag.returncode, from_flag.stderr) == (2, f"privatefolio-daemon: {message}\n")
        from_environment = serve(data=data, FRONTEND_DIR=str(path))
        assert (from_environment.returncode, from_environment.stderr) == (
            2,
            f"privatefolio-daemon: {message}\n",
        )
