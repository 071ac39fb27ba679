"""Spam detection (data-model §11)."""

from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.domain.spam import find_spam

LISTED = {"chain.ethereum:0xA:LOOM"}


def _tx(tx_id: str, platform: str = "chain.ethereum", **sides: str) -> Transaction:
    return Transaction(
        id=tx_id, platformId=platform, timestamp=1, type="Deposit", wallet="w", **sides
    )


def test_unlisted_fee_less_evm_transfers_are_spam() -> None:
    transactions = [
        _tx("airdrop", incoming="777", incomingAsset="chain.ethereum:0xB:INSP"),
        _tx("listed", incoming="10", incomingAsset="chain.ethereum:0xA:LOOM"),
        _tx(
            "paid",
            incoming="1",
            incomingAsset="chain.ethereum:0xB:INSP",
            fee="-0.1",
            feeAsset="chain.ethereum:0x0:ETH",
        ),
        _tx("MANUAL_1", incoming="1", incomingAsset="chain.ethereum:0xB:INSP"),
        _tx("exchange", platform="ex.binance", incoming="1", incomingAsset="ex.binance:XYZ"),
        _tx("sent", outgoing="5", outgoingAsset="chain.ethereum:0xC:VIU"),
        _tx("nothing"),
    ]

    assert find_spam(transactions, LISTED.__contains__) == ["airdrop", "sent"]


def test_the_incoming_asset_decides_when_both_sides_exist() -> None:
    swap = _tx("swap", incoming="1", incomingAsset="chain.ethereum:0xA:LOOM", outgoing="1",
               outgoingAsset="chain.ethereum:0xB:INSP")  # fmt: skip

    assert find_spam([swap], LISTED.__contains__) == []
