"""Serving a built frontend, with the single-page-app fallback to ``index.html``."""

from pathlib import Path

from aiohttp import web

NO_FRONTEND = (
    "No frontend build is configured. Start the daemon with --frontend-dir <path to the build> "
    "(or set FRONTEND_DIR) to serve one.\n"
)


async def serve_static(frontend_dir: Path | None, request: web.Request) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD"):
        return web.Response(status=405, text="Method not allowed.\n")
    if frontend_dir is None:
        return web.Response(status=404, text=NO_FRONTEND)
    relative = request.match_info.get("tail", "").lstrip("/")
    candidate = (frontend_dir / relative).resolve()
    if candidate.is_relative_to(frontend_dir) and candidate.is_file():
        return web.FileResponse(candidate)
    index = frontend_dir / "index.html"
    if not index.is_file():
        return web.Response(
            status=404, text=f"The frontend build has no index.html: {frontend_dir}\n"
        )
    return web.FileResponse(index)
