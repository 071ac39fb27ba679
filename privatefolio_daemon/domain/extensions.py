"""What the daemon can read from and ask (``data/extensions.json``): its file formats,
connections, price APIs and metadata source, as the frontend lists them.

An extension is ``{id, extensionName, extensionType, description, howTo?, instructions?,
platformIds?, extensionVersion, authorGithub, githubUrl, extensionLogoUrl, publishedAt,
updatedAt}``; the frontend receives it with ``platforms``, the known platforms of its
``platformIds``. ``howTo`` is not text: the frontend loads the help component of that name, so
only the extensions it has one for carry it; ``instructions`` is the help as text. Lists are
sorted by name.
"""

from functools import cache
from typing import Any, Literal

import orjson

from privatefolio_daemon import __version__
from privatefolio_daemon.domain.platforms import PlatformCatalog
from privatefolio_daemon.resources import static_data_dir

Extension = dict[str, Any]
ExtensionType = Literal["file-import", "connection", "price-api", "metadata"]

_SEARCHED_FIELDS = ("extensionName", "id", "authorGithub", "description")


@cache
def _load() -> tuple[Extension, ...]:
    raw = orjson.loads((static_data_dir() / "extensions.json").read_bytes())
    published = raw["publishedAt"]
    defaults = {
        "authorGithub": "privatefolio-daemon",
        "extensionLogoUrl": "",
        "extensionVersion": __version__,
        "githubUrl": "",
        "publishedAt": published,
        "updatedAt": published,
    }
    extensions = [defaults | item for item in raw["extensions"]]
    return tuple(sorted(extensions, key=lambda item: str(item["extensionName"]).casefold()))


class ExtensionCatalog:
    def __init__(self, platforms: PlatformCatalog) -> None:
        self._platforms = platforms

    def all(self, documented_only: bool = False) -> list[Extension]:
        return [self._rich(item) for item in _load() if item.get("howTo") or not documented_only]

    def get(self, extension_id: str) -> Extension | None:
        found = next((item for item in _load() if item["id"] == extension_id), None)
        return None if found is None else self._rich(found)

    def of_type(self, extension_type: ExtensionType) -> list[Extension]:
        return [self._rich(item) for item in _load() if item["extensionType"] == extension_type]

    def find(self, query: str, limit: int = 5) -> list[Extension]:
        """Extensions whose name, id, author or description contain ``query`` (any case)."""
        needle = query.strip().casefold()
        if not needle:
            return []
        found = [
            item
            for item in _load()
            if any(needle in str(item[field]).casefold() for field in _SEARCHED_FIELDS)
        ]
        return [self._rich(item) for item in found[: max(limit, 0)]]

    def _rich(self, item: Extension) -> Extension:
        known = (self._platforms.get(pid) for pid in item.get("platformIds", ()))
        return dict(item) | {"platforms": [platform for platform in known if platform]}
