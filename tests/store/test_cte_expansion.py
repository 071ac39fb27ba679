"""Counting the subquery copies a statement's WITH clauses make SQLite compile."""

import pytest

from privatefolio_daemon.store.cte_expansion import cte_copies


@pytest.mark.parametrize(
    ("sql", "copies"),
    [
        ("SELECT * FROM audit_logs", 0),
        ("SELECT 'with a AS (SELECT 1)' -- with\nFROM t", 0),
        ("WITH a AS (SELECT 1) SELECT * FROM a", 1),
        ("WITH a AS (SELECT 1) SELECT * FROM a, a AS b", 2),
        ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n", 1),
        (
            "with a as materialized (select 1), b as not materialized (select * from a, a) "
            "select * from b, b",
            6,
        ),
        (
            'WITH "a b"(x) AS (SELECT 1), c AS (SELECT * FROM "a b", [a b], `a b`) SELECT * FROM c',
            4,
        ),
        (
            "WITH a AS (SELECT 1), b AS (SELECT * FROM a /* a a a */ WHERE 'a' = 'a') "
            "SELECT * FROM b",
            2,
        ),
        ("SELECT * FROM (WITH a AS (SELECT 1) SELECT * FROM a, a)", 2),
        ("WITH a AS (SELECT 1", 0),
    ],
)
def test_each_reference_counts_the_copies_its_own_references_make(sql: str, copies: int) -> None:
    assert cte_copies(sql) == copies


def doubling(times: int) -> str:
    return ", ".join(
        ["x0 AS (SELECT 1 AS x)"]
        + [f"x{n} AS (SELECT p.x FROM x{n - 1} AS p, x{n - 1} AS q)" for n in range(1, times + 1)]
    )


def test_names_defined_again_in_an_inner_scope_count_as_their_costliest_definition() -> None:
    """Harmless CTEs of the same names first cannot hide the doubling chain inside."""
    decoys = ", ".join(f"x{n} AS (SELECT 1 AS x)" for n in range(20))
    sql = f"WITH {decoys} SELECT * FROM x0, (WITH {doubling(19)} SELECT count(*) FROM x19)"
    assert cte_copies(sql) == 1 + (2**20 - 1)  # x0, then x19 and all it names


def test_a_loop_of_names_from_separate_scopes_counts_as_too_many() -> None:
    sql = (
        "WITH z AS (SELECT 1), y AS (SELECT * FROM z) "
        "SELECT * FROM (WITH z AS (SELECT * FROM y) SELECT 1), y"
    )
    assert cte_copies(sql) >= 10**18


def test_a_long_chain_is_counted_without_recursion() -> None:
    chain = ", ".join(
        ["b0 AS (SELECT 1)"] + [f"b{n} AS (SELECT * FROM b{n - 1})" for n in range(1, 5000)]
    )
    assert cte_copies(f"WITH {chain} SELECT * FROM b4999") == 5000
