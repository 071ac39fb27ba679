"""Which funds of a generic CSV TEFAS prices (docs/generic-csv.md): those the file prices in
Turkish lira.

A generic CSV's fund is ``fund:<code>`` whichever market it trades on, and the price fetch asks
Yahoo for a ``fund:`` asset: a TEFAS code that is also a Yahoo ticker would get an unrelated
security's price. So a fund that one of the file's ``buy``, ``sell`` or ``dividend`` rows prices
in TRY is taken for a TEFAS fund: in the import's transaction, its ``priceApiId`` is set to
``tefas``, unless the asset has one already (the user's, or one an earlier fetch remembered).
Its first fetch, queued by the import, then asks TEFAS.
"""

import sqlite3

from privatefolio_daemon.domain import asset_ids
from privatefolio_daemon.domain.invalidation import PriceInvalidation
from privatefolio_daemon.domain.price_sources import restart_prices
from privatefolio_daemon.sources.importers.generic import PARSER
from privatefolio_daemon.store import assets as store
from privatefolio_daemon.store.ledger import funds_priced_in

TEFAS = "tefas"
LIRA = "fiat:TRY"


def price_lira_funds_with_tefas(
    connection: sqlite3.Connection, file_import_id: str, parser_id: str
) -> list[PriceInvalidation]:
    """Set ``tefas`` on the file's funds priced in TRY that have no ``priceApiId``; returns what
    deleting their stored prices made stale, one for each fund set (prices stored without a
    ``priceApiId``, by ``executeSql`` or before "Delete asset preferences", are another
    source's)."""
    if parser_id != PARSER.parser_id:
        return []
    chosen = []
    for fund in funds_priced_in(connection, file_import_id, LIRA):
        stored = store.stored_asset(connection, fund)
        if stored is not None and stored["priceApiId"] is not None:
            continue
        record = {**(stored or {"id": fund}), "symbol": asset_ids.ticker(fund), "priceApiId": TEFAS}
        store.upsert_asset(connection, record)
        chosen.append(restart_prices(connection, fund, None, TEFAS) or PriceInvalidation())
    return chosen
