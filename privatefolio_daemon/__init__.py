"""privatefolio-daemon: a local-first portfolio daemon compatible with the Privatefolio frontend."""

#: The one place the version is written; the package metadata reads it from here.
__version__ = "0.1.0"
