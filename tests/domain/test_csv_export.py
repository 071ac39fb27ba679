"""CSV export encoding (file-formats §4) and the round trip through the Privatefolio importer."""

from privatefolio_daemon.domain.csv_export import (
    audit_log_export_row,
    audit_logs_export_header,
    encode_csv,
    encode_csv_row,
    transaction_export_row,
    transactions_export_header,
)
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.parse_file import parse_text


def test_values_are_quoted_with_doubled_quotes_and_escaped_commas() -> None:
    assert encode_csv_row(["a,b", 'say "hi"', None, 3, {"k": [1, 2]}, True]) == (
        '"a\\,b","say ""hi""","","3","{""k"":[1\\,2]}","true"'
    )


def test_the_binance_swap_row_of_the_reference() -> None:
    swap = Transaction(
        id="x", incomingAsset="ex.binance:MANA", incoming="100", feeAsset="ex.binance:MANA",
        fee="0.1", outgoingAsset="ex.binance:ETH", outgoing="0.010954", platformId="ex.binance",
        price="0.00010954", timestamp=1514404548000, type="Swap", wallet="Binance Spot",
    )  # fmt: skip

    assert transaction_export_row(swap) == (
        '"2017-12-27 19:55:48","ex.binance","Binance Spot","Swap","100","ex.binance:MANA",'
        '"0.010954","ex.binance:ETH","0.1","ex.binance:MANA","","","",""'
    )


def test_audit_log_rows_put_the_cross_wallet_balance_under_wallet_balance() -> None:
    log = AuditLog(
        id="l", assetId="ex.binance:ETH", balance="0.5", balanceWallet="0.2", change="-0.1",
        importIndex=0, operation="Fee", platformId="ex.binance", timestamp=0, wallet="Binance Spot",
    )  # fmt: skip

    assert encode_csv([audit_logs_export_header(), audit_log_export_row(log)]) == (
        '"Timestamp","Platform","Wallet","Operation","Change","Asset","Wallet balance"\n'
        '"1970-01-01 00:00:00","ex.binance","Binance Spot","Fee","-0.1","ex.binance:ETH","0.5"'
    )


def test_an_exported_transactions_csv_reimports_to_the_same_values() -> None:
    exported = [
        Transaction(
            id="a", incomingAsset="chain.ethereum:0xA:LOOM", incoming="10",
            feeAsset="chain.ethereum:0x0:ETH", fee="-0.000134622",
            outgoingAsset="chain.ethereum:0x0:ETH", outgoing="0.03", notes='Swap, "LOOM"\nline 2',
            platformId="chain.ethereum", timestamp=1521052009000, type="Swap", wallet="0xf98C",
            metadata={"contractAddress": "0xA4e8", "method": "Transfer", "txHash": "0xca53"},
        ),
        Transaction(
            id="b", incomingAsset="ex.binance:ETH", incoming="1", platformId="ex.binance",
            timestamp=1512415302000, type="Deposit", wallet="Binance Spot",
        ),
    ]  # fmt: skip
    text = encode_csv([transactions_export_header(), *map(transaction_export_row, exported)])

    reimported = parse_text(text, file_name="acc-transactions.csv").transactions

    def fields(tx: Transaction) -> tuple[object, ...]:
        metadata = {key: value for key, value in tx.metadata.items() if value}
        return (tx.timestamp, tx.platformId, tx.wallet, tx.type, tx.incoming, tx.incomingAsset,
                tx.outgoing, tx.outgoingAsset, tx.fee, tx.feeAsset, tx.notes, metadata)  # fmt: skip

    assert [fields(tx) for tx in reimported] == [fields(tx) for tx in exported]
    assert reimported[1].metadata == {"contractAddress": "", "method": "", "txHash": ""}
