"""Undoing merges when a source goes, on an account file: connections as well as file imports,
and merges made before their members were noted."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.domain.auto_merge import auto_merge
from privatefolio_daemon.domain.ledger_rows import audit_log_from_row, transaction_from_row
from privatefolio_daemon.domain.manual_transactions import (
    NOTES_MAX_CHARS,
    TransactionPatch,
    delete_transaction,
    patch_transaction,
)
from privatefolio_daemon.domain.merged_transactions import (
    save_merge,
    split_merges_of,
    split_merges_with,
)
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.store import ledger
from privatefolio_daemon.store.connections import delete_ledger
from tests.store.account_file import migrated_account

ETH = "chain.ethereum:0x0000000000000000000000000000000000000000:ETH"
TOKEN = "chain.ethereum:0xA4e8C3Ec456107eA67d3075bF9e3DF3A75823DB0:LOOM"


def _tx(tx_id: str, source: dict[str, str], **fields: Any) -> Transaction:
    return Transaction(
        id=tx_id, platformId="chain.ethereum", timestamp=1000, wallet="0xW",
        metadata={"txHash": "0xh"}, **source, **fields,
    )  # fmt: skip


def _log(tx: Transaction, asset: str, change: str, operation: str) -> AuditLog:
    return AuditLog(
        id=f"{tx.id}_{operation}", assetId=asset, change=change, importIndex=0,
        operation=operation, platformId="chain.ethereum", timestamp=1000, txId=tx.id,
        wallet="0xW", fileImportId=tx.fileImportId, connectionId=tx.connectionId,
    )  # fmt: skip


SENT = _tx("f1_0xh_ERC20_0", {"fileImportId": "f1"}, type="Withdraw", outgoing="10",
           outgoingAsset=TOKEN)  # fmt: skip
RECEIVED = _tx("c1_0xh_INTERNAL_0", {"connectionId": "c1"}, type="Deposit", incoming="0.05",
               incomingAsset=ETH)  # fmt: skip
CALL = _tx("f2_0xh_NORMAL_0", {"fileImportId": "f2"}, type="Unknown", fee="-0.0002",
           feeAsset=ETH)  # fmt: skip
LOGS = {
    SENT.id: [_log(SENT, TOKEN, "-10", "Withdraw")],
    RECEIVED.id: [_log(RECEIVED, ETH, "0.05", "Deposit")],
    CALL.id: [_log(CALL, ETH, "-0.0002", "Fee")],
}


@pytest.fixture
def account(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = migrated_account(tmp_path)
    yield connection
    connection.close()


def add(connection: sqlite3.Connection, *transactions: Transaction) -> None:
    ledger.insert_transactions(connection, transactions)
    ledger.insert_audit_logs(connection, [log for tx in transactions for log in LOGS[tx.id]])


def merge(connection: sqlite3.Connection) -> None:
    transactions = [transaction_from_row(row) for row in connection.execute(
        "SELECT * FROM transactions")]  # fmt: skip
    logs = [audit_log_from_row(row) for row in connection.execute("SELECT * FROM audit_logs")]
    with connection:
        save_merge(connection, auto_merge(transactions, logs))


def remove(connection: sqlite3.Connection, column: str, source_id: str) -> None:
    with connection:
        split_merges_of(connection, column, source_id)  # type: ignore[arg-type]
        connection.execute(f"DELETE FROM audit_logs WHERE {column} = ?", (source_id,))
        connection.execute(f"DELETE FROM transactions WHERE {column} = ?", (source_id,))


def written_again(connection: sqlite3.Connection, *tx_ids: str) -> None:
    """The merges of these transactions undone, as before a connection writes them again."""
    with connection:
        split_merges_with(connection, tx_ids)


def patch(connection: sqlite3.Connection, tx_id: str, fields: TransactionPatch) -> None:
    with connection:
        patch_transaction(connection, tx_id, fields)


def stored(connection: sqlite3.Connection, tx_id: str) -> dict[str, Any]:
    row = connection.execute("SELECT * FROM transactions WHERE id = ?", (tx_id,)).fetchone()
    return transaction_from_row(row).to_wire()


def patched_fields(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT transactionId, field FROM transaction_patched_fields ORDER BY 1, 2"
    ).fetchall()


def ledger_now(connection: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
    return (
        connection.execute("SELECT * FROM transactions ORDER BY id").fetchall(),
        connection.execute("SELECT * FROM audit_logs ORDER BY id").fetchall(),
    )


def test_removing_a_connection_gives_a_file_import_its_transaction_back(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT)
    alone = ledger_now(account)
    add(account, RECEIVED)
    merge(account)
    [(merged_id, merged_type)] = account.execute("SELECT id, type FROM transactions").fetchall()
    assert (merged_id, merged_type) == ("f1_0xh_MERGED", "Swap")

    remove(account, "connectionId", "c1")

    assert ledger_now(account) == alone
    assert account.execute("SELECT COUNT(*) FROM merged_members").fetchone() == (0,)
    assert account.execute("SELECT COUNT(*) FROM merged_log_origins").fetchone() == (0,)


def test_a_merge_made_before_members_were_noted_comes_back_whole(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT, RECEIVED)
    merge(account)
    account.execute("DELETE FROM merged_members")
    account.execute("DELETE FROM merged_log_origins")
    earlier = ledger_now(account)
    add(account, CALL)
    merge(account)
    [(merged_id, fee)] = account.execute("SELECT id, fee FROM transactions").fetchall()
    assert (merged_id, fee) == ("f1_0xh_MERGED", "-0.0002")

    remove(account, "fileImportId", "f2")

    assert ledger_now(account) == earlier


def test_a_deleted_merge_stays_deleted_when_one_of_its_sources_goes(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT, RECEIVED)
    merge(account)
    with account:
        delete_transaction(account, "f1_0xh_MERGED")

    remove(account, "connectionId", "c1")

    assert ledger_now(account) == ([], [])


def test_a_merge_takes_the_fields_patched_on_its_members_and_an_undone_merge_gives_them_back(
    account: sqlite3.Connection,
) -> None:
    """The ETH received is patched before its merge with the token sent, the merged transaction
    after it; the file import of the token sent goes, and the ETH received keeps every patch."""
    add(account, SENT, RECEIVED)
    patch(account, RECEIVED.id, {"price": "2000", "role": "refund"})
    merge(account)
    merged = stored(account, "f1_0xh_MERGED")
    assert (merged["type"], merged["price"], merged["role"]) == ("Swap", "2000", "refund")
    patch(account, "f1_0xh_MERGED", {"type": "Gift", "metadata": {"txHash": "0xh", "memo": "m"}})

    remove(account, "fileImportId", "f1")

    assert stored(account, RECEIVED.id) == RECEIVED.to_wire() | {
        "type": "Gift",
        "price": "2000",
        "role": "refund",
        "metadata": {"txHash": "0xh", "memo": "m"},
    }
    assert patched_fields(account) == [
        (RECEIVED.id, "metadata"),
        (RECEIVED.id, "price"),
        (RECEIVED.id, "role"),
        (RECEIVED.id, "type"),
    ]
    with account:
        delete_ledger(account, "c1")  # the connection reset: its ledger deleted
    assert patched_fields(account) == []


def test_a_deleted_transaction_forgets_its_patched_fields(account: sqlite3.Connection) -> None:
    add(account, SENT)
    patch(account, SENT.id, {"type": "Gift"})
    with account:
        delete_transaction(account, SENT.id)

    assert patched_fields(account) == []


def test_joined_notes_longer_than_a_note_may_be_are_cut_and_can_be_edited(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT, RECEIVED)
    patch(account, SENT.id, {"notes": "s" * 6_000})
    patch(account, RECEIVED.id, {"notes": "r" * 6_000})
    merge(account)

    notes = stored(account, "f1_0xh_MERGED")["notes"]
    assert notes == "s" * 6_000 + "\n" + "r" * 3_998 + "…"
    assert len(notes) == NOTES_MAX_CHARS
    patch(account, "f1_0xh_MERGED", {"notes": notes[:-1] + "."})
    assert stored(account, "f1_0xh_MERGED")["notes"] == notes[:-1] + "."


def notes(connection: sqlite3.Connection) -> dict[str, str | None]:
    return dict(connection.execute("SELECT id, notes FROM transactions ORDER BY id").fetchall())


def test_unedited_long_notes_come_back_whole_to_each_member(account: sqlite3.Connection) -> None:
    """The merge cut the joined notes; undone, each member has all of its own again, and a merge
    of them again makes the same."""
    add(account, SENT, RECEIVED)
    patch(account, SENT.id, {"notes": "s" * 6_000})
    patch(account, RECEIVED.id, {"notes": "r" * 6_000})
    merge(account)
    merged_notes = notes(account)

    written_again(account, RECEIVED.id)

    assert notes(account) == {SENT.id: "s" * 6_000, RECEIVED.id: "r" * 6_000}
    merge(account)
    assert notes(account) == merged_notes


def test_unedited_notes_of_a_source_that_goes_stay_whole_on_the_member_before_them(
    account: sqlite3.Connection,
) -> None:
    """The call's notes follow the ETH received in merge order: they stay on it when the call's
    file import goes, so the merge again of what remains, written again, keeps every character,
    and an import of the call again makes the notes the merged transaction had."""
    add(account, SENT, RECEIVED, CALL)
    patch(account, SENT.id, {"notes": "s" * 6_000})
    patch(account, RECEIVED.id, {"notes": "r" * 3_000})
    patch(account, CALL.id, {"notes": "c" * 3_000})
    merge(account)
    merged_notes = notes(account)
    assert merged_notes == {"f1_0xh_MERGED": f"{'s' * 6_000}\n{'r' * 3_000}\n{'c' * 997}…"}

    remove(account, "fileImportId", "f2")
    assert notes(account) == merged_notes
    written_again(account, RECEIVED.id)
    assert notes(account) == {SENT.id: "s" * 6_000, RECEIVED.id: f"{'r' * 3_000}\n{'c' * 3_000}"}

    add(account, CALL)
    merge(account)
    assert notes(account) == merged_notes


def test_unedited_notes_of_the_member_a_merge_was_named_after_stay_whole_when_it_goes(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT, RECEIVED)
    patch(account, SENT.id, {"notes": "s" * 6_000})
    patch(account, RECEIVED.id, {"notes": "r" * 6_000})
    merge(account)
    merged_notes = notes(account)

    remove(account, "fileImportId", "f1")

    assert notes(account) == {RECEIVED.id: f"{'s' * 6_000}\n{'r' * 6_000}"}
    add(account, SENT)
    merge(account)
    assert notes(account) == merged_notes


def test_edited_notes_go_to_the_member_a_merge_was_named_after(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT, RECEIVED)
    patch(account, SENT.id, {"notes": "s" * 6_000})
    patch(account, RECEIVED.id, {"notes": "r" * 6_000})
    merge(account)
    patch(account, "f1_0xh_MERGED", {"notes": "sold 10 LOOM"})

    written_again(account, RECEIVED.id)

    assert notes(account) == {SENT.id: "sold 10 LOOM", RECEIVED.id: None}
    merge(account)
    assert notes(account) == {"f1_0xh_MERGED": "sold 10 LOOM"}
    remove(account, "fileImportId", "f1")
    assert notes(account) == {RECEIVED.id: "sold 10 LOOM"}


def test_unedited_patched_fields_come_back_to_each_member_edited_notes_to_the_first(
    account: sqlite3.Connection,
) -> None:
    """The patched fields and the notes are judged apart: the user edited the merged notes only."""
    add(account, SENT, RECEIVED)
    patch(account, SENT.id, {"price": "0.004"})
    patch(account, RECEIVED.id, {"price": "200", "role": "refund", "notes": "refund"})
    merge(account)
    merged = stored(account, "f1_0xh_MERGED")
    assert (merged["price"], merged["role"]) == ("0.004", "refund")
    patch(account, "f1_0xh_MERGED", {"notes": "refund, less the LOOM"})

    written_again(account, RECEIVED.id)

    assert stored(account, SENT.id) == SENT.to_wire() | {
        "price": "0.004",
        "notes": "refund, less the LOOM",
    }
    assert stored(account, RECEIVED.id) == RECEIVED.to_wire() | {"price": "200", "role": "refund"}
    assert patched_fields(account) == [
        (RECEIVED.id, "price"),
        (RECEIVED.id, "role"),
        (SENT.id, "price"),
    ]
    merge(account)
    assert stored(account, "f1_0xh_MERGED") == merged | {"notes": "refund, less the LOOM"}
    assert patched_fields(account) == [("f1_0xh_MERGED", "price"), ("f1_0xh_MERGED", "role")]


def test_edited_patched_fields_go_to_the_member_a_merge_was_named_after(
    account: sqlite3.Connection,
) -> None:
    add(account, SENT, RECEIVED)
    patch(account, SENT.id, {"price": "0.004"})
    patch(account, RECEIVED.id, {"price": "200", "role": "refund"})
    merge(account)
    patch(account, "f1_0xh_MERGED", {"price": "0.005"})

    written_again(account, RECEIVED.id)

    assert stored(account, SENT.id) == SENT.to_wire() | {"price": "0.005", "role": "refund"}
    assert stored(account, RECEIVED.id) == RECEIVED.to_wire() | {"price": "200", "role": "refund"}
    assert patched_fields(account) == [(SENT.id, "price"), (SENT.id, "role")]


def test_patched_fields_of_a_merge_noted_before_schema_17_go_to_the_member_it_was_named_after(
    account: sqlite3.Connection,
) -> None:
    """Its members' own patched fields were not noted: the merged one's go to the first."""
    add(account, SENT, RECEIVED)
    patch(account, RECEIVED.id, {"price": "200"})
    merge(account)
    account.execute("UPDATE merged_members SET patchedFields = NULL")

    written_again(account, RECEIVED.id)

    assert stored(account, SENT.id) == SENT.to_wire() | {"price": "200"}
    assert stored(account, RECEIVED.id) == RECEIVED.to_wire() | {"price": "200"}
    assert patched_fields(account) == [(SENT.id, "price")]
