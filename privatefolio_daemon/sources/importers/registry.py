"""Header line → importer (file-formats §1.3). A new format is one module plus one line here."""

import difflib

from privatefolio_daemon.sources.importers import (
    binance,
    blockpit,
    coinmama,
    coinstats,
    etherscan_beacon,
    etherscan_block_rewards,
    etherscan_erc20,
    etherscan_internal,
    etherscan_normal,
    generic,
    mexc,
    privatefolio_transactions,
)
from privatefolio_daemon.sources.importers.base import Parser, Requirement
from privatefolio_daemon.sources.importers.csv_rows import sanitise_header

PARSERS: tuple[Parser, ...] = (
    binance.PARSER,
    mexc.PARSER,
    coinmama.PARSER,
    etherscan_normal.PARSER,
    etherscan_internal.PARSER,
    etherscan_erc20.PARSER,
    etherscan_block_rewards.PARSER,
    etherscan_beacon.PARSER,
    blockpit.PARSER,
    coinstats.PARSER,
    privatefolio_transactions.PARSER,
    generic.PARSER,
)

_BY_HEADER: dict[str, Parser] = {header: parser for parser in PARSERS for header in parser.headers}


def _loose(header: str) -> str:
    return header.replace('"', "").replace(" ", "").lower()


_BY_LOOSE_HEADER: dict[str, str] = {
    _loose(header): parser.headers[0] for parser in reversed(PARSERS) for header in parser.headers
}


def match_header(first_line: str) -> Parser | None:
    """The importer whose header equals the sanitised first line, if any."""
    return _BY_HEADER.get(sanitise_header(first_line))


def header_hint(first_line: str) -> str | None:
    """What to tell of an unknown header: the known one it nearly is (other case, quotes or
    spaces, a column misspelt, missing or extra), and whether it is separated by other than
    commas."""
    header = sanitise_header(first_line)
    if "\r" in header:
        line_ends = "its lines end with a carriage return only; save it with line feeds or CRLF"
        first_line = header.partition("\r")[0]
        other = None if match_header(first_line) else header_hint(first_line)
        return f"{line_ends}; {other}" if other else line_ends
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if separator in header and "," not in header:
            near = _nearest(header.replace(separator, ","))
            guess = f": did you mean {near}?" if near else ""
            return f"its names are separated by {name}; save the file with commas{guess}"
    near = _nearest(header)
    return None if near is None else f"did you mean {near}?"


def _nearest(header: str) -> str | None:
    loose = _loose(header)
    if loose in _BY_LOOSE_HEADER:
        return _BY_LOOSE_HEADER[loose]
    close = difflib.get_close_matches(loose, _BY_LOOSE_HEADER, n=1, cutoff=0.8)
    return _BY_LOOSE_HEADER[close[0]] if close else None


def requirements_for(first_line: str) -> list[Requirement] | None:
    """What ``parserContext`` must hold for this file; None for a file that needs nothing or
    whose header is unknown (the frontend asks the user for the context of any list, even an
    empty one)."""
    parser = match_header(first_line)
    return None if parser is None or not parser.requirements else list(parser.requirements)
