"""The daemon's configuration: environment first, then command-line flags, then defaults."""

import dataclasses
import logging
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import platformdirs

from privatefolio_daemon import __version__
from privatefolio_daemon.settings import APP_NAME, DEFAULT_HOST, DEFAULT_PORT, DEV_PORT, Limits
from privatefolio_daemon.store.daemon_address import running_address

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to change."""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    version: str
    commit: str
    date: str


@dataclass(frozen=True)
class Config:
    data_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    dev: bool = False
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    frontend_dir: Path | None = None
    print_ready: bool = False
    crons: bool = True
    log_level: str = "INFO"
    limits: Limits = field(default_factory=Limits)
    app_version: str | None = None
    git_hash: str | None = None
    git_date: str | None = None

    @property
    def binds_loopback_only(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    @property
    def token_file(self) -> Path:
        return self.data_dir / "auth" / "token"

    @property
    def version(self) -> str:
        return self.app_version or __version__

    @cached_property
    def build(self) -> BuildInfo:
        """The version and its commit. The first read may run ``git`` (up to 2 s): read it off
        the event loop (``asyncio.to_thread``)."""
        commit, date = self.git_hash, self.git_date
        if commit is None or date is None:
            git_commit, git_date = _git_head()
            commit, date = commit or git_commit, date or git_date
        return BuildInfo(self.version, commit, date)


def _warn_if_overridden(
    variable: str,
    from_env: str | None,
    flag: str,
    from_flag: str | None,
    same: Callable[[str, str], bool] = str.__eq__,
) -> None:
    """The environment wins over flags: say so where a flag given by hand loses."""
    if from_env and from_flag is not None and not same(from_env, from_flag):
        log.warning(
            "%s=%s is used: the environment wins over %s %s", variable, from_env, flag, from_flag
        )


def _same_folder(first: str, second: str) -> bool:
    return Path(first).expanduser().resolve() == Path(second).expanduser().resolve()


def _same_host(first: str, second: str) -> bool:
    return _without_brackets(first).lower() == _without_brackets(second).lower()


def _same_level(first: str, second: str) -> bool:
    return first.upper() == second.upper()


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def _data_dir(from_environment: str | None, from_flag: str | None) -> Path:
    """The data dir chosen; an empty one is refused rather than read as "the default", which
    is the user's real portfolio."""
    if from_environment is not None and not from_environment.strip():
        raise ConfigError(
            "DATA_LOCATION is set but empty: set it to the data directory's path, or unset it "
            f"to use the default ({default_data_dir()})"
        )
    chosen = from_environment or from_flag
    if chosen is not None and not chosen.strip():
        raise ConfigError(
            "--data-dir is empty: give the data directory's path, or leave the flag out to use "
            f"the default ({default_data_dir()})"
        )
    return Path(chosen).expanduser().resolve() if chosen else default_data_dir()


def load_config(
    *,
    environ: Mapping[str, str] | None = None,
    data_dir: str | None = None,
    host: str | None = None,
    port: int | None = None,
    dev: bool = False,
    frontend_dir: str | None = None,
    print_ready: bool = False,
    crons: bool = True,
    log_level: str | None = None,
) -> Config:
    env = os.environ if environ is None else environ
    port_text = env.get("PORT")
    try:
        chosen_port = int(port_text) if port_text else port
    except ValueError as error:
        raise ConfigError(f"PORT must be a number, not {port_text!r}") from error
    if chosen_port is None:
        chosen_port = DEV_PORT if dev else DEFAULT_PORT
    if not 0 <= chosen_port <= 65535:
        raise ConfigError(f"Port {chosen_port} is out of range (0-65535)")
    chosen_dir = _data_dir(env.get("DATA_LOCATION"), data_dir)
    _warn_if_overridden(
        "DATA_LOCATION", env.get("DATA_LOCATION"), "--data-dir", data_dir, same=_same_folder
    )
    _warn_if_overridden("PORT", port_text, "--port", None if port is None else str(port))
    _warn_if_overridden("HOST", env.get("HOST"), "--host", host, same=_same_host)
    _warn_if_overridden(
        "FRONTEND_DIR", env.get("FRONTEND_DIR"), "--frontend-dir", frontend_dir, same=_same_folder
    )
    _warn_if_overridden(
        "LOG_LEVEL", env.get("LOG_LEVEL"), "--log-level", log_level, same=_same_level
    )
    chosen_frontend = env.get("FRONTEND_DIR") or frontend_dir
    return Config(
        data_dir=chosen_dir,
        host=_without_brackets(env.get("HOST") or host or DEFAULT_HOST),
        port=chosen_port,
        dev=dev,
        allowed_origins=_split(env.get("ALLOWED_ORIGINS")),
        allowed_hosts=tuple(allowed_host(entry) for entry in _split(env.get("ALLOWED_HOSTS"))),
        frontend_dir=Path(chosen_frontend).expanduser().resolve() if chosen_frontend else None,
        print_ready=print_ready,
        crons=crons,
        log_level=_log_level(env.get("LOG_LEVEL"), log_level, dev),
        app_version=env.get("APP_VERSION"),
        git_hash=env.get("GIT_HASH"),
        git_date=env.get("GIT_DATE"),
    )


def check_frontend_dir(path: Path | None) -> None:
    """A frontend build to serve must be a directory that holds index.html."""
    if path is None:
        return
    if not path.exists():
        raise ConfigError(
            f"The frontend build {path} does not exist: check --frontend-dir or FRONTEND_DIR"
        )
    if not path.is_dir():
        raise ConfigError(
            f"The frontend build {path} is not a directory: give --frontend-dir or FRONTEND_DIR "
            "the folder that holds index.html"
        )
    if not (path / "index.html").is_file():
        raise ConfigError(
            f"The frontend build {path} has no index.html: give --frontend-dir or FRONTEND_DIR "
            "the folder that holds it (the build output, such as dist/)"
        )


def create_data_dir(path: Path) -> None:
    """Create the data directory (and its parents); a path that cannot be one is refused. A new
    data dir is its user's alone (mode 0700): it holds the portfolio."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError as error:
        raise ConfigError(
            f"The data directory {path} exists but is not a directory: choose another with "
            "--data-dir or DATA_LOCATION"
        ) from error
    except OSError as error:
        raise ConfigError(
            f"Cannot create the data directory {path} ({error.strerror}): choose another with "
            "--data-dir or DATA_LOCATION"
        ) from error


def load_client_config(*, data_dir: str | None = None, port: int | None = None) -> Config:
    """``load_config`` for the commands that talk to a running daemon. Without ``--port`` or
    ``PORT``, the host and port are the ones the daemon running on the data directory wrote
    down."""
    config = load_config(data_dir=data_dir, port=port)
    if port is not None or os.environ.get("PORT"):
        return config
    found = running_address(config.data_dir)
    if found is None:
        return config
    host, found_port = found
    return dataclasses.replace(config, host=host, port=found_port)


def client_url(config: Config, scheme: str, path: str = "/") -> str:
    """Where a client on this machine reaches the daemon of ``config``: its own address, or
    loopback when it listens on every address."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(config.host, config.host)
    return f"{scheme}://{url_host(host)}:{config.port}{path}"


def _log_level(from_environment: str | None, from_flag: str | None, dev: bool) -> str:
    source, text = (
        ("LOG_LEVEL", from_environment) if from_environment else ("--log-level", from_flag)
    )
    if not text:
        return "DEBUG" if dev else "INFO"
    if text.upper() not in LOG_LEVELS:
        raise ConfigError(f"{source} must be one of {', '.join(LOG_LEVELS)}, not {text!r}")
    return text.upper()


def url_host(host: str) -> str:
    """``host`` as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def _without_brackets(host: str) -> str:
    """``[::1]`` (as a URL writes it) is the address ``::1``, which is what a socket binds."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


#: An ALLOWED_HOSTS entry: a name or IPv4 address, or an IPv6 one (in brackets when a port
#: follows), and an optional port.
_HOST_ENTRY = re.compile(
    r"(?:\[(?P<bracketed>[0-9a-f:.]+)\]|(?P<ipv6>[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*)"
    r"|(?P<name>[^\s/:@\[\]?#]+))(?::(?P<port>[0-9]{1,5}))?"
)


def allowed_host(entry: str) -> str:
    """The name an ALLOWED_HOSTS entry allows in a request's Host, whatever its port (the
    Host check stops DNS rebinding, which the name decides): ``192.168.1.20:5555`` allows
    ``192.168.1.20``, ``[fe80::1]:5555`` allows ``fe80::1``."""
    found = _HOST_ENTRY.fullmatch(entry.lower())
    if found is None:
        raise ConfigError(
            f"ALLOWED_HOSTS holds {entry!r}, which is no host name: write the names or "
            "addresses by which the LAN reaches this computer, a port after one if you like "
            "(ALLOWED_HOSTS=192.168.1.20,nas.local:5555,[fe80::1])"
        )
    return found["bracketed"] or found["ipv6"] or found["name"]


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _git_head() -> tuple[str, str]:
    """The last commit of this project's checkout: the folder that holds the package must be
    a git work tree's top. A package installed into another checkout (a virtualenv inside a
    project of its own) has no commit to report, and git must not find that project's."""
    source = Path(__file__).resolve().parent.parent
    if not (source / ".git").exists():
        return "unknown", "unknown"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("GIT_")},
        "GIT_CEILING_DIRECTORIES": str(source.parent),
    }
    try:
        output = subprocess.run(
            ["git", "-C", str(source), "log", "-1", "--format=%H %cI"],
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
            env=environment,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "unknown", "unknown"
    return (output[0], output[1]) if len(output) == 2 else ("unknown", "unknown")
