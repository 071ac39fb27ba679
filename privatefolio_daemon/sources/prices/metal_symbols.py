"""The metals the daemon has prices for, and the Yahoo Finance futures it prices them with.

Kept apart from the provider (``metals.py``), which brings the network stack: the importers check
a file's metals against this list in worker processes that load no network code.
"""

METAL_SYMBOLS = {"XAU": "GC=F", "XAG": "SI=F"}
