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
