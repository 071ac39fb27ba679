"""Which logo addresses an asset may show: the frontend puts them in an ``<img src>``."""

from urllib.parse import urlsplit


def is_logo_url(url: str) -> bool:
    """A web address, an image in a data: URL, or a path of the frontend's own (no
    ``javascript:`` or other scheme)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme in ("", "http", "https") or (
        scheme == "data" and parts.path.lower().startswith("image/")
    )
