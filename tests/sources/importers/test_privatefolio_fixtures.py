"""The Privatefolio fixture files parse to exactly the snapshot records (expected/README.md)."""

import json
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.domain.auto_merge import auto_merge
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.parse_file import ParseResult, parse_text
from tests.shared_fixtures import require_shared_fixtures
from tests.sources.importers.snapshot_form import (
    in_log_order,
    in_transaction_order,
    insert_or_replace,
    sanitised_log,
    sanitised_transaction,
)

USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"


def _expected(fixtures: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fixtures / "expected" / name).read_text())
    return data


def _expected_rows(fixtures: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _expected(fixtures, name)["rows"]
    for row in rows:
        row.pop("balance", None)
        row.pop("balanceWallet", None)
    return rows


def _import(fixtures: Path, name: str, context: ParserContext | None = None) -> ParseResult:
    text = (fixtures / name).read_bytes().decode("utf-8")
    return parse_text(text, file_name=name, last_modified=0, context=context)


def _file_import_record(result: ParseResult, fixtures: Path, name: str) -> dict[str, Any]:
    text = (fixtures / name).read_bytes().decode("utf-8")
    return {
        "id": result.file_import_id,
        "lastModified": 0,
        "meta": result.meta.to_wire(),
        "name": name,
        "size": len(text.encode("utf-16-le")) // 2,
    }


@pytest.fixture
def fixtures() -> Path:
    return require_shared_fixtures()


def test_binance_statement_matches_the_snapshot(fixtures: Path) -> None:
    scenario = _expected(fixtures, "binance-import/scenario.json")
    result = _import(fixtures, "binance.csv")

    assert _file_import_record(result, fixtures, "binance.csv") == scenario["fileImport"]
    logs = in_log_order(insert_or_replace(result.logs))
    assert [sanitised_log(log) for log in logs] == _expected_rows(
        fixtures, "binance-import/audit-logs.json"
    )
    transactions = in_transaction_order(insert_or_replace(result.transactions))
    assert [sanitised_transaction(tx) for tx in transactions] == _expected_rows(
        fixtures, "binance-import/transactions.json"
    )


def test_binance_swap_id_collision_quirk_keeps_ten_in_meta_and_nine_in_the_db(
    fixtures: Path,
) -> None:
    """Quirk 1: the 10:14:30 and 10:14:36 IOTA→ETH swaps share price and therefore id."""
    result = _import(fixtures, "binance.csv")
    colliding = [tx for tx in result.transactions if tx.id == "2822928863_1700257332"]

    assert result.meta.transactions == 10
    assert len(insert_or_replace(result.transactions)) == 9
    assert [(tx.timestamp, tx.incoming, tx.outgoing) for tx in colliding] == [
        (1514369670000, "0.553596", "100"),
        (1514369676000, "0.04982364", "9"),
    ]
    assert insert_or_replace(colliding)[0].incoming == "0.04982364"


def _etherscan_0xf98(fixtures: Path) -> tuple[ParseResult, ParseResult]:
    normal = _import(fixtures, "0xf98/etherscan.csv", ParserContext(platform="chain.ethereum"))
    erc20 = _import(
        fixtures,
        "0xf98/etherscan-erc20.csv",
        ParserContext(platform="chain.ethereum", user_address=USER),
    )
    return normal, erc20


def test_etherscan_0xf98_file_imports_match_the_snapshot(fixtures: Path) -> None:
    scenario = _expected(fixtures, "0xf98/scenario.json")
    normal, erc20 = _etherscan_0xf98(fixtures)

    assert [
        _file_import_record(normal, fixtures, "0xf98/etherscan.csv"),
        _file_import_record(erc20, fixtures, "0xf98/etherscan-erc20.csv"),
    ] == scenario["fileImports"]
    assert (len(normal.logs), len(erc20.logs)) == (16, 8)


def _apply_merge(
    logs: list[AuditLog], transactions: list[Transaction]
) -> tuple[list[AuditLog], list[Transaction], int]:
    result = auto_merge(transactions, logs)
    by_id = {tx.id: tx for tx in transactions}
    for deleted in result.deleted_ids:
        del by_id[deleted]
    by_id.update({tx.id: tx for tx in result.merged})
    updates = {update.log_id: update for update in result.log_updates}
    for log in logs:
        if log.id in updates:
            log.txId, log.operation = updates[log.id].tx_id, updates[log.id].operation
    return logs, list(by_id.values()), result.evm_transactions


def test_etherscan_0xf98_after_auto_merge_matches_the_snapshot(fixtures: Path) -> None:
    normal, erc20 = _etherscan_0xf98(fixtures)
    logs = insert_or_replace(normal.logs + erc20.logs)
    transactions = insert_or_replace(normal.transactions + erc20.transactions)

    logs, transactions, evm_count = _apply_merge(logs, transactions)

    assert (evm_count, len(transactions)) == (17, 16)
    assert [sanitised_log(log) for log in in_log_order(logs)] == _expected_rows(
        fixtures, "0xf98/audit-logs.json"
    )
    assert [
        sanitised_transaction(tx) for tx in in_transaction_order(transactions)
    ] == _expected_rows(fixtures, "0xf98/transactions.json")


def test_coinmama_logs_match_the_snapshot_and_stay_unlinked(fixtures: Path) -> None:
    scenario = _expected(fixtures, "coinmama-balances/scenario.json")
    result = _import(fixtures, "coinmama.csv")

    assert _file_import_record(result, fixtures, "coinmama.csv") == scenario["fileImport"]
    # Quirk: the log is not linked to its transaction (no txId).
    assert [log.to_wire() for log in result.logs] == scenario["auditLogsBeforeBalances"]
    assert [(tx.id, tx.incoming, tx.outgoing, tx.price) for tx in result.transactions] == [
        ("2702913076_3604660326", "0.036979259", "100.00", "2704.2185999454450939647"),
        ("2702913076_1607323056", "0.035979259", "100.00", "2779.37908615627687051587"),
    ]
