import sys

from privatefolio_daemon.cli import main

sys.exit(main())
