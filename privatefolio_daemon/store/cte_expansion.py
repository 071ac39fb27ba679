"""How many copies of its common table expressions a statement makes SQLite build.

SQLite copies a CTE's subquery for every reference to it while it compiles the statement, and
``sqlite3_interrupt`` does not stop a compile. A CTE that names the one before it twice, twenty
times over, asks for 2^20 copies: minutes of CPU and gigabytes of memory before the query runs.
The statement's tokens tell how many copies it asks for, so such a query is refused up front.
"""

import re
from dataclasses import dataclass

_WITH = re.compile("with", re.IGNORECASE)
_TOKENS = re.compile(
    r"""
      (?P<skip>--[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^']|'')*'?)
    | "(?P<double>(?:[^"]|"")*)"?
    | `(?P<back>(?:[^`]|``)*)`?
    | \[(?P<square>[^\]]*)\]?
    | (?P<word>[^\W\d][\w$]*)
    | (?P<mark>[(),])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class _Cte:
    name_at: int
    start: int  # the tokens of its body: [start, end)
    end: int


def cte_copies(sql: str) -> int:
    if _WITH.search(sql) is None:
        return 0
    return _copies(sql)


def _copies(sql: str) -> int:
    """The subquery copies that the references to CTEs outside their bodies make, each
    counting the copies its own references make (0 without CTEs)."""
    tokens = _tokenize(sql)
    ctes = _ctes(tokens)
    if not ctes:
        return 0
    sizes: dict[str, int] = {}

    def size(name: str, seen: frozenset[str]) -> int:
        if name in sizes:
            return sizes[name]
        cte = ctes[name]
        inner = seen | {name}
        total = 1 + sum(
            size(token, inner)
            for token in tokens[cte.start : cte.end]
            if token in ctes and token not in inner
        )
        sizes[name] = total
        return total

    inside: set[int] = set()
    for cte in ctes.values():
        inside.update(range(cte.start, cte.end))
        inside.add(cte.name_at)
    return sum(
        size(token, frozenset())
        for index, token in enumerate(tokens)
        if token in ctes and index not in inside
    )


def _tokenize(sql: str) -> list[str]:
    """Names (lower case, quotes taken off) and the marks ``(``, ``)`` and ``,``."""
    tokens = []
    for match in _TOKENS.finditer(sql):
        kind = match.lastgroup
        if kind == "skip" or kind is None:
            continue
        text = match.group(kind)
        if kind == "double":
            text = text.replace('""', '"')
        elif kind == "back":
            text = text.replace("``", "`")
        tokens.append(text if kind == "mark" else text.lower())
    return tokens


def _ctes(tokens: list[str]) -> dict[str, _Cte]:
    """Each ``name [(columns)] AS [NOT] [MATERIALIZED] (body)`` after a ``WITH``."""
    ctes: dict[str, _Cte] = {}
    for index, token in enumerate(tokens):
        if token != "with":
            continue
        position = index + 1
        if position < len(tokens) and tokens[position] == "recursive":
            position += 1
        while (found := _cte_at(tokens, position)) is not None:
            name, cte = found
            ctes.setdefault(name, cte)
            if cte.end + 1 >= len(tokens) or tokens[cte.end + 1] != ",":
                break
            position = cte.end + 2
    return ctes


def _cte_at(tokens: list[str], position: int) -> tuple[str, _Cte] | None:
    if position >= len(tokens) or tokens[position] in "(),":
        return None
    name_at = position
    position += 1
    if position < len(tokens) and tokens[position] == "(":  # the column names
        position = _closing(tokens, position) + 1
    if position >= len(tokens) or tokens[position] != "as":
        return None
    position += 1
    while position < len(tokens) and tokens[position] in ("not", "materialized"):
        position += 1
    if position >= len(tokens) or tokens[position] != "(":
        return None
    end = _closing(tokens, position)
    return tokens[name_at], _Cte(name_at, position + 1, end)


def _closing(tokens: list[str], opening: int) -> int:
    """The index of the ``)`` that closes the ``(`` at ``opening`` (the end if none does)."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index] == "(":
            depth += 1
        elif tokens[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens)
