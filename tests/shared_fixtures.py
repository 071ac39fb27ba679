"""Where the third-party fixture files live, and a skip when they are absent.

They are read from ``../shared/fixtures/privatefolio`` beside the checkout, or from the directory
named by ``PRIVATEFOLIO_FIXTURES``. They are never copied into this repository.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_fixtures_dir() -> Path:
    override = os.environ.get("PRIVATEFOLIO_FIXTURES")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "fixtures" / "privatefolio"


def require_shared_fixtures() -> Path:
    """The fixture directory, or skip the calling test with the reason."""
    directory = shared_fixtures_dir()
    if not (directory / "expected").is_dir():
        pytest.skip(
            f"Privatefolio fixtures not found at {directory}; set PRIVATEFOLIO_FIXTURES to run this"
        )
    return directory


def expected(fixtures: Path, scenario: str, name: str) -> Any:
    """One file of ``expected/<scenario>/``, parsed."""
    return json.loads((fixtures / "expected" / scenario / name).read_text())
