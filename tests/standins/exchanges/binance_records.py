"""Account records a test registers on the fake Binance, in the shapes the real API answers."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

DAY_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


def binance_datetime(ms: int) -> str:
    """``2019-10-12 11:12:02``: how the withdrawal history prints times (UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class BinanceTrade:
    symbol: str
    id: int
    order_id: int
    price: str
    qty: str
    commission: str
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "id": self.id,
            "orderId": self.order_id,
            "orderListId": -1,
            "price": self.price,
            "qty": self.qty,
            "quoteQty": str(Decimal(self.price) * Decimal(self.qty)),
            "commission": self.commission,
            "commissionAsset": self.commission_asset,
            "time": self.time,
            "isBuyer": self.is_buyer,
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }


@dataclass(frozen=True, slots=True)
class BinanceDeposit:
    id: str
    coin: str
    amount: str
    network: str
    address: str
    tx_id: str
    insert_time: int
    status: int = 1  # 1 = success

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "amount": self.amount,
            "coin": self.coin,
            "network": self.network,
            "status": self.status,
            "address": self.address,
            "addressTag": "",
            "txId": self.tx_id,
            "insertTime": self.insert_time,
            "completeTime": self.insert_time,
            "transferType": 0,
            "confirmTimes": "12/12",
            "unlockConfirm": 0,
            "walletType": 0,
        }


@dataclass(frozen=True, slots=True)
class BinanceWithdrawal:
    id: str
    coin: str
    amount: str
    fee: str
    network: str
    address: str
    tx_id: str
    apply_time: int
    status: int = 6  # 6 = completed

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "amount": self.amount,
            "transactionFee": self.fee,
            "coin": self.coin,
            "status": self.status,
            "address": self.address,
            "txId": self.tx_id,
            "applyTime": binance_datetime(self.apply_time),
            "network": self.network,
            "transferType": 0,
            "info": "",
            "confirmNo": 12,
            "walletType": 0,
            "txKey": "",
            "completeTime": binance_datetime(self.apply_time),
        }


def default_restrictions() -> dict[str, Any]:
    """A read-only key, as ``GET /sapi/v1/account/apiRestrictions`` describes it."""
    return {
        "ipRestrict": False,
        "createTime": 1_700_000_000_000,
        "enableReading": True,
        "enableSpotAndMarginTrading": False,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enablePortfolioMarginTrading": False,
    }


@dataclass
class BinanceAccount:
    """One API key's view of an account. ``balances`` maps asset → (free, locked)."""

    api_key: str
    secret: str
    balances: dict[str, tuple[str, str]] = field(default_factory=dict)
    trades: list[BinanceTrade] = field(default_factory=list)
    deposits: list[BinanceDeposit] = field(default_factory=list)
    withdrawals: list[BinanceWithdrawal] = field(default_factory=list)
    restrictions: dict[str, Any] = field(default_factory=default_restrictions)


@dataclass(frozen=True, slots=True)
class Candle:
    """One kline; prices are decimal strings as Binance sends them."""

    open_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str

    def to_kline(self, interval_ms: int) -> list[Any]:
        return [
            self.open_time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.open_time + interval_ms - 1,
            str(Decimal(self.close) * Decimal(self.volume)),
            100,
            "0",
            "0",
            "0",
        ]


def synthetic_daily_candles(first_day_ms: int, count: int, start_price: int = 100) -> list[Candle]:
    """Deterministic daily candles: day i opens at ``start_price + i`` and closes 1 higher."""
    candles = []
    for i in range(count):
        open_price = start_price + i
        candles.append(
            Candle(
                open_time=first_day_ms + i * DAY_MS,
                open=f"{open_price}.00",
                high=f"{open_price + 2}.00",
                low=f"{open_price - 1}.00",
                close=f"{open_price + 1}.00",
                volume=f"{10 + i}.5",
            )
        )
    return candles
