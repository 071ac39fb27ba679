"""privatefolio-daemon: a local-first portfolio daemon compatible with the Privatefolio frontend."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("privatefolio-daemon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
