"""CDP keys and account records a test registers on the fake Coinbase, in the real API's shapes.

A CDP API key is a name (``organizations/<org id>/apiKeys/<key id>``) and an EC P-256 private key
in PEM (``-----BEGIN EC PRIVATE KEY-----``), as the key file Coinbase hands out holds them.
Fills are Advanced Trade fills (v3); transactions are entries of one currency account's v2
transaction list, where a crypto send or receive, a bank transfer and a trade fill all appear.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ORGANIZATION = "2f1c0d9e-7b6a-4c85-9e3f-5a4b3c2d1e0f"
USER_ID = "5d6c7b8a-1111-4a2b-9c3d-4e5f6a7b8c9d"


@dataclass(frozen=True, slots=True)
class CdpKey:
    name: str
    private_pem: str
    public_key: ec.EllipticCurvePublicKey


def new_cdp_key(key_id: str) -> CdpKey:
    """A fresh P-256 key named ``organizations/<ORGANIZATION>/apiKeys/<key_id>``."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    name = f"organizations/{ORGANIZATION}/apiKeys/{key_id}"
    return CdpKey(name=name, private_pem=pem, public_key=private_key.public_key())


def stable_uuid(*parts: str) -> str:
    """A UUID that the same parts always give (wallet and transaction ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def rfc3339(ms: int, fraction: bool = True) -> str:
    """``2024-03-29T15:48:30.123Z`` (fills), or ``2024-03-29T15:48:30Z`` (v2 records)."""
    at = datetime.fromtimestamp(ms / 1000, UTC)
    if fraction:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass(slots=True)
class CoinbaseWallet:
    """One currency account: its balance is ``available`` plus ``hold``."""

    uuid: str
    currency: str
    available: str
    hold: str = "0"
    fiat: bool = False

    def to_v3(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": f"{self.currency} Wallet",
            "currency": self.currency,
            "available_balance": {"value": self.available, "currency": self.currency},
            "default": True,
            "active": True,
            "created_at": "2023-01-04T06:20:06.456Z",
            "updated_at": "2023-01-04T06:20:07.181Z",
            "deleted_at": None,
            "type": "ACCOUNT_TYPE_FIAT" if self.fiat else "ACCOUNT_TYPE_CRYPTO",
            "ready": True,
            "hold": {"value": self.hold, "currency": self.currency},
        }


@dataclass(frozen=True, slots=True)
class CoinbaseFill:
    trade_id: str
    order_id: str
    product_id: str
    side: str  # "BUY" or "SELL"
    price: str
    size: str
    commission: str
    time: int

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": stable_uuid("entry", self.trade_id).replace("-", ""),
            "trade_id": self.trade_id,
            "order_id": self.order_id,
            "trade_time": rfc3339(self.time),
            "trade_type": "FILL",
            "price": self.price,
            "size": self.size,
            "commission": self.commission,
            "product_id": self.product_id,
            "sequence_timestamp": rfc3339(self.time),
            "liquidity_indicator": "MAKER",
            "size_in_quote": False,
            "user_id": USER_ID,
            "side": self.side,
        }


@dataclass(slots=True)
class CoinbaseTransaction:
    """An entry of a currency account's v2 transaction list; ``amount`` is its signed change."""

    id: str
    type: str
    currency: str
    amount: str
    time: int
    status: str = "completed"
    network: dict[str, Any] = field(default_factory=dict)
    to_address: str | None = None

    def to_json(self, account_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "amount": {"amount": self.amount, "currency": self.currency},
            "native_amount": {"amount": self.amount, "currency": "USD"},
            "description": None,
            "created_at": rfc3339(self.time, fraction=False),
            "updated_at": rfc3339(self.time, fraction=False),
            "resource": "transaction",
            "resource_path": f"/v2/accounts/{account_id}/transactions/{self.id}",
            "instant_exchange": False,
        }
        if self.network:
            body["network"] = self.network
        if self.to_address is not None:
            body["to"] = {"resource": "address", "address": self.to_address}
        return body


def crypto_send(
    tx_id: str,
    currency: str,
    amount: str,
    fee: str,
    at: int,
    tx_hash: str,
    status: str = "completed",
) -> CoinbaseTransaction:
    """A withdrawal: ``amount`` leaves for the address, the account pays ``amount + fee``."""
    debit = -(Decimal(amount) + Decimal(fee))
    network = {
        "status": "confirmed" if status == "completed" else "pending",
        "hash": tx_hash,
        "network_name": "bitcoin" if currency == "BTC" else "ethereum",
        "transaction_fee": {"amount": fee, "currency": currency},
        "transaction_amount": {"amount": amount, "currency": currency},
    }
    return CoinbaseTransaction(
        tx_id, "send", currency, str(debit), at, status, network, to_address="bc1qexternal"
    )


def crypto_receive(
    tx_id: str, currency: str, amount: str, at: int, tx_hash: str, sender_fee: str | None = None
) -> CoinbaseTransaction:
    """A deposit; ``sender_fee`` is the network fee the sender paid (Coinbase shows it too)."""
    network: dict[str, Any] = {"status": "confirmed", "hash": tx_hash, "network_name": "ethereum"}
    if sender_fee is not None:
        network["transaction_fee"] = {"amount": sender_fee, "currency": currency}
    return CoinbaseTransaction(tx_id, "send", currency, amount, at, network=network)


def fiat_deposit(tx_id: str, currency: str, amount: str, at: int) -> CoinbaseTransaction:
    return CoinbaseTransaction(tx_id, "fiat_deposit", currency, amount, at)


def fill_entry(tx_id: str, currency: str, amount: str, at: int) -> CoinbaseTransaction:
    """The trace an Advanced Trade fill leaves in an account's transactions (not a transfer)."""
    return CoinbaseTransaction(tx_id, "advanced_trade_fill", currency, amount, at)
