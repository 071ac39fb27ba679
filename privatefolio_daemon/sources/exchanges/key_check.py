"""A read-only check of an exchange API key: can it read, and can it do more than it should?

A portfolio needs read access only; a key that may trade or withdraw is a risk the user should
hear about. Binance describes a key's permissions (``GET /sapi/v1/account/apiRestrictions``).
Other exchanges do not, so for them the check is that reading the balance works.
"""

from dataclasses import dataclass, field

from privatefolio_daemon.sources.connection_source import ConnectionSpec
from privatefolio_daemon.sources.exchanges.account_source import ExchangeAccountSource


@dataclass(frozen=True, slots=True)
class KeyCheck:
    #: Reading the account works.
    can_read: bool
    #: The key may place orders; None when the exchange does not say.
    can_trade: bool | None
    #: The key may withdraw; None when the exchange does not say.
    can_withdraw: bool | None
    warnings: list[str] = field(default_factory=list)


async def check_key(source: ExchangeAccountSource, spec: ConnectionSpec) -> KeyCheck:
    """Check ``spec``'s key; a key the exchange rejects raises ``SyncError`` (same messages)."""
    async with source.client(spec) as client:
        if client.profile.exchange_id == "binance":
            restrictions = await client.call("sapi_get_account_apirestrictions")
            can_read = bool(restrictions.get("enableReading"))
            can_trade = bool(restrictions.get("enableSpotAndMarginTrading"))
            can_withdraw = bool(restrictions.get("enableWithdrawals"))
            if can_read:
                await client.call("fetch_balance")
        else:
            await client.call("fetch_balance")
            can_read, can_trade, can_withdraw = True, None, None
    return KeyCheck(
        can_read, can_trade, can_withdraw, _warnings(client.name, can_trade, can_withdraw)
    )


def _warnings(name: str, can_trade: bool | None, can_withdraw: bool | None) -> list[str]:
    warnings = []
    if can_withdraw:
        warnings.append(
            f"This {name} API key can withdraw funds. Privatefolio only reads: "
            "create a read-only key instead."
        )
    if can_trade:
        warnings.append(
            f"This {name} API key can trade. Privatefolio only reads: a read-only key is safer."
        )
    return warnings
