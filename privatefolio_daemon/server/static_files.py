"""Serving a built frontend, with the single-page-app fallback to ``index.html``.

The fallback is for the app's own routes only: a path under ``/api/``, one of the daemon's own
routes (``GET /upload``) or a missing file (under ``assets/``, or named with the extension of a
file a web build holds, ``/robots.txt``) is a 404, so a client or a script tag never takes
index.html for what it asked for. The app's routes may hold dots (``/l/0/asset/ex.binance:BTC``,
``/l/0/platform/chain.ethereum``), so a dot alone does not make a path a file's. Files under
``assets/`` carry a content hash in their names (a Vite build), so browsers may keep them for
good; everything else, index.html first, is revalidated.
"""

from collections.abc import Collection, Mapping
from pathlib import Path

from aiohttp import web

NO_FRONTEND = (
    "No frontend build is configured. Start the daemon with --frontend-dir <path to the build> "
    "(or set FRONTEND_DIR) to serve one.\n"
)
NOT_FOUND = "Not found.\n"
IMMUTABLE = "public, max-age=31536000, immutable"
#: The extensions of the files a web build holds: a missing one is a 404, not the app.
# fmt: off
FILE_EXTENSIONS = frozenset({
    "avif", "css", "eot", "gif", "htm", "html", "ico", "jpeg", "jpg", "js", "json", "map", "mjs",
    "mp3", "mp4", "otf", "pdf", "png", "svg", "ttf", "txt", "wasm", "webm", "webmanifest", "webp",
    "woff", "woff2", "xml",
})
# fmt: on


async def serve_static(
    frontend_dir: Path | None,
    request: web.Request,
    own_routes: Mapping[str, Collection[str]] | None = None,
) -> web.StreamResponse:
    """``own_routes``: the paths of the daemon's routes, which never fall back to index.html,
    and their methods (another one gets 405, but a GET 404)."""
    own_routes = own_routes or {}
    relative = request.match_info.get("tail", "").lstrip("/")
    if request.method not in ("GET", "HEAD"):
        if f"/{relative}" in own_routes:
            return _not_allowed(own_routes[f"/{relative}"])
        if not _never_the_app(relative, own_routes):
            return _not_allowed(("GET", "HEAD"))
    if _never_the_app(relative, own_routes):
        return web.Response(status=404, text=NOT_FOUND)
    if frontend_dir is None:
        return web.Response(status=404, text=NO_FRONTEND)
    try:
        candidate = (frontend_dir / relative).resolve()
        is_file = candidate.is_relative_to(frontend_dir) and candidate.is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long
        return web.Response(status=404, text=NOT_FOUND)
    if is_file:
        cache = IMMUTABLE if candidate.is_relative_to(frontend_dir / "assets") else "no-cache"
        return web.FileResponse(candidate, headers={"Cache-Control": cache})
    if _names_a_file(relative):
        return web.Response(status=404, text=NOT_FOUND)
    index = frontend_dir / "index.html"
    if not index.is_file():
        return web.Response(status=404, text="The frontend build has no index.html.\n")
    return web.FileResponse(index, headers={"Cache-Control": "no-cache"})


def _not_allowed(methods: Collection[str]) -> web.Response:
    headers = {"Allow": ", ".join(sorted(methods))}
    return web.Response(status=405, text="Method not allowed.\n", headers=headers)


def _never_the_app(relative: str, own_routes: Collection[str]) -> bool:
    """Under ``/api/``, or one of ``own_routes``."""
    return relative == "api" or relative.startswith("api/") or f"/{relative}" in own_routes


def _names_a_file(relative: str) -> bool:
    name = relative.rpartition("/")[2]
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return relative.startswith("assets/") or extension in FILE_EXTENSIONS
