import sys

from privatefolio_daemon.cli import main

# Guarded: a child process started with "spawn" imports this module again.
if __name__ == "__main__":
    sys.exit(main())
