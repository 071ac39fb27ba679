"""How many copies of its common table expressions a statement makes SQLite build.

SQLite copies a CTE's subquery for every reference to it while it compiles the statement, and
``sqlite3_interrupt`` does not stop a compile. A CTE that names the one before it twice, twenty
times over, asks for 2^20 copies: minutes of CPU and gigabytes of memory before the query runs.
The statement's tokens tell how many copies it asks for, so such a query is refused up front.

The count errs high, never low: names are not resolved by scope, so a name defined twice counts
as its costliest definition, and a reference counts wherever its name is defined. The work is
linear in the statement's length (no recursion, one pass for the parentheses).
"""

import re
from dataclasses import dataclass, field

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
#: Sizes stop growing here: past it a statement is refused anyway, and the numbers stay small.
_SATURATED = 10**18


@dataclass(slots=True)
class _Cte:
    name: str
    name_at: int
    start: int  # the tokens of its body: [start, end)
    end: int
    references: list[str] = field(default_factory=list)


def cte_copies(sql: str) -> int:
    """The subquery copies that the references to CTEs outside their bodies make, each
    counting the copies its own references make (0 without CTEs)."""
    if _WITH.search(sql) is None:
        return 0
    tokens = _tokenize(sql)
    ctes = _ctes(tokens, _matching_parentheses(tokens))
    if not ctes:
        return 0
    outside = _attribute_references(tokens, ctes)
    sizes = _sizes(ctes)
    return min(_SATURATED, sum(sizes[name] for name in outside))


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


def _matching_parentheses(tokens: list[str]) -> dict[int, int]:
    """The index of the ``)`` closing each ``(`` (the end of the tokens if none does)."""
    closing: dict[int, int] = {}
    open_at: list[int] = []
    for index, token in enumerate(tokens):
        if token == "(":
            open_at.append(index)
        elif token == ")" and open_at:
            closing[open_at.pop()] = index
    for index in open_at:
        closing[index] = len(tokens)
    return closing


def _ctes(tokens: list[str], closing: dict[int, int]) -> list[_Cte]:
    """Each ``name [(columns)] AS [NOT] [MATERIALIZED] (body)`` after a ``WITH``."""
    ctes: list[_Cte] = []
    for index, token in enumerate(tokens):
        if token != "with":
            continue
        position = index + 1
        if position < len(tokens) and tokens[position] == "recursive":
            position += 1
        while (cte := _cte_at(tokens, closing, position)) is not None:
            ctes.append(cte)
            if cte.end + 1 >= len(tokens) or tokens[cte.end + 1] != ",":
                break
            position = cte.end + 2
    return ctes


def _cte_at(tokens: list[str], closing: dict[int, int], position: int) -> _Cte | None:
    if position >= len(tokens) or tokens[position] in "(),":
        return None
    name_at = position
    position += 1
    if position < len(tokens) and tokens[position] == "(":  # the column names
        position = closing[position] + 1
    if position >= len(tokens) or tokens[position] != "as":
        return None
    position += 1
    while position < len(tokens) and tokens[position] in ("not", "materialized"):
        position += 1
    if position >= len(tokens) or tokens[position] != "(":
        return None
    return _Cte(tokens[name_at], name_at, position + 1, closing[position])


def _attribute_references(tokens: list[str], ctes: list[_Cte]) -> list[str]:
    """Give each CTE the references in its own body (not in the bodies of CTEs inside it);
    returns the references outside every body."""
    names = {cte.name for cte in ctes}
    name_positions = {cte.name_at for cte in ctes}
    starts: dict[int, list[_Cte]] = {}
    ends: dict[int, int] = {}
    for cte in ctes:
        starts.setdefault(cte.start, []).append(cte)
        ends[cte.end] = ends.get(cte.end, 0) + 1
    open_bodies: list[_Cte] = []
    outside: list[str] = []
    for index, token in enumerate(tokens):
        for _ in range(ends.get(index, 0)):
            open_bodies.pop()
        open_bodies.extend(starts.get(index, ()))
        if token in names and index not in name_positions:
            (open_bodies[-1].references if open_bodies else outside).append(token)
    return outside


def _sizes(ctes: list[_Cte]) -> dict[str, int]:
    """Each name's copies: one for itself and those of its references, by its costliest
    definition. A CTE naming itself (a recursive one) adds nothing for that reference; any other
    loop comes of names defined twice in separate scopes, which SQLite resolves otherwise, so
    it counts as too many rather than too few."""
    definitions: dict[str, list[_Cte]] = {}
    for cte in ctes:
        definitions.setdefault(cte.name, []).append(cte)
    sizes: dict[str, int] = {}
    counting: set[str] = set()
    for root in definitions:
        stack = [root]
        while stack:
            name = stack[-1]
            if name in sizes:
                stack.pop()
                continue
            counting.add(name)
            waiting = [
                reference
                for cte in definitions[name]
                for reference in cte.references
                if reference not in sizes and reference not in counting
            ]
            if waiting:
                stack.extend(dict.fromkeys(waiting))
                continue
            sizes[name] = max(
                min(_SATURATED, 1 + sum(_size_of(reference, name, sizes) for reference in refs))
                for refs in (cte.references for cte in definitions[name])
            )
            counting.discard(name)
            stack.pop()
    return sizes


def _size_of(reference: str, name: str, sizes: dict[str, int]) -> int:
    if reference == name:
        return 0  # the recursive step reads the rows made so far: no copy
    return sizes.get(reference, _SATURATED)  # not counted yet: a name being counted, a loop
