"""The desktop token file: one the daemon did not write (NULs a crash left, bytes that are not
text, other text) is replaced at start, with a warning naming it; ``token`` and ``call`` refuse
it, saying what to do. A directory in its place, or a token that cannot be written, stops the
start with one line (exit 2), and leaves no empty token behind."""

import re
import resource
import subprocess
from pathlib import Path

import pytest

from tests.daemon_process import clean_environment, cli, daemon_command, running_daemon

TOKEN = re.compile(r"[0-9a-f]{64}")

DAMAGED = {
    "NULs": b"\x00" * 64,  # what a crash leaves of a file written but never flushed
    "not UTF-8": b"\xff\xfe\x00garbage",
    "not ASCII": "tökén".encode(),
    "empty": b"",
}


def damaged_message(token_file: Path) -> str:
    return (
        f"privatefolio-daemon: The desktop token file {token_file} is damaged: it does not hold "
        "the 64 hex digits the daemon writes. Start the daemon on this data dir (or restart "
        "it): it replaces a damaged token with a new one.\n"
    )


def with_token(data_dir: Path, content: bytes) -> Path:
    token_file = data_dir / "auth" / "token"
    token_file.parent.mkdir(parents=True)
    token_file.write_bytes(content)
    return token_file


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_token_and_call_refuse_a_damaged_token_and_say_what_to_do(
    tmp_path: Path, content: bytes
) -> None:
    data_dir = tmp_path / "data"
    token_file = with_token(data_dir, content)
    token = cli("token", "--data-dir", str(data_dir))
    assert (token.returncode, token.stdout, token.stderr) == (2, "", damaged_message(token_file))
    called = cli("call", "--data-dir", str(data_dir), "getAccountNames")
    assert (called.returncode, called.stdout, called.stderr) == (
        2,
        "",
        damaged_message(token_file),
    )
    assert token_file.read_bytes() == content


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_the_daemon_replaces_a_damaged_token_and_says_so(tmp_path: Path, content: bytes) -> None:
    data_dir = tmp_path / "data"
    token_file = with_token(data_dir, content)
    with running_daemon(data_dir) as (daemon, _):
        token = cli("token", "--data-dir", str(data_dir))
        called = cli("call", "--data-dir", str(data_dir), "getAccountNames")
        daemon.terminate()
        _, errors = daemon.communicate(timeout=30)
    assert TOKEN.fullmatch(token_file.read_text())
    assert (token.returncode, token.stdout) == (0, token_file.read_text() + "\n")
    assert (called.returncode, called.stdout, called.stderr) == (0, "[]\n", "")
    assert (
        f"WARNING privatefolio_daemon.server.credentials: The desktop token file {token_file} "
        "was damaged (it did not hold the 64 hex digits the daemon writes, so no client could "
        "use it): it now holds a new token.\n"
    ) in errors
    assert sorted(path.name for path in token_file.parent.iterdir()) == ["token"]


def test_a_directory_in_place_of_the_token_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    token_file = data_dir / "auth" / "token"
    token_file.mkdir(parents=True)
    data_dir.chmod(0o700)  # as the daemon makes it: one open to others is warned of
    message = (
        f"privatefolio-daemon: The desktop token {token_file} is a directory, not a file: remove "
        "it (the daemon writes a new token there when it starts), then start again.\n"
    )
    served = subprocess.run(
        daemon_command(data_dir, "--port", "0"),
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )
    assert (served.returncode, served.stdout, served.stderr) == (2, "", message)
    assert (data_dir / "daemon.lock").read_text() == ""  # the lock is released
    for command in (("token",), ("call", "getAccountNames")):
        refused = cli(command[0], "--data-dir", str(data_dir), *command[1:])
        assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", message)


def files_up_to_32_bytes() -> None:
    """Writing a file past 32 bytes fails (EFBIG), as on a full disk (ENOSPC): the lock's pid
    fits, the token's 64 digits do not."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (32, resource.RLIM_INFINITY))


def test_a_token_that_cannot_be_written_stops_the_start_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    served = subprocess.run(
        daemon_command(data_dir, "--port", "0"),
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
        preexec_fn=files_up_to_32_bytes,
    )
    token_file = data_dir / "auth" / "token"
    assert (served.returncode, served.stdout, served.stderr) == (
        2,
        "",
        f"privatefolio-daemon: The desktop token {token_file} cannot be written (File too large): "
        f"free some space on its disk, or make {token_file.parent} writable, then start again.\n",
    )
    assert list(token_file.parent.iterdir()) == []
    assert (data_dir / "daemon.lock").read_text() == ""
