"""The ids a file's parse made that are hashes, and what becomes of one the file makes twice.

Most ids carry their row's index in the file, so they never repeat within it. Three kinds are
hashes instead, and a file may make one of them twice for two different records:

- ``transactions``: a Binance swap's id hashes its assets and price, so two swaps of one pair at
  one price share it. The reference keeps the later swap only (file-formats §2.1, a quirk its
  fixture holds), and so does the import: knowing these ids, a bulk load deletes their older
  copies before it builds the unique indexes (``store.bulk_load``), instead of sorting every id
  a second time after a failed build.
- ``audit_logs``: a merged Binance log's id hashes its asset, operation and sum, so two merges
  at different times to the same sum share it; losing one would change the balances.
- ``rows``: the transaction id of a row of the formats that hash the row's index and text
  (``Parser.row_ids_hashed``), whose logs' ids begin with it: a file of 100,000 rows holds
  one pair of rows with the same one, on average.

A repeated merged log or row id is not lost: the later record's id gets its row index appended
(``<id>_<index>``), and so do the ids of a row's logs. Within one parse that happens as the
records are made; across the shards of a parallel parse, in the later shard before it is copied
(``store.shards.rename_repeated``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from privatefolio_daemon.sources.importers.base import RowResult

RENAMED = ("audit_logs", "rows")
"""The kinds whose repeated ids are renamed, not replaced."""

Renames = dict[str, set[str]]
"""Ids a later shard must rename, by kind (``RENAMED``)."""


@dataclass(slots=True)
class MadeIds:
    made: dict[str, set[str]] = field(default_factory=dict)
    repeated: dict[str, set[str]] = field(default_factory=dict)
    """Repeated swap ids, by ledger table: their last copy is kept."""

    def add(self, table: str, ids: Iterable[str]) -> None:
        made = self.made.setdefault(table, set())
        for made_id in ids:
            if made_id in made:
                self.repeated.setdefault(table, set()).add(made_id)
            else:
                made.add(made_id)

    def claim(self, kind: str, made_id: str) -> bool:
        """Record ``made_id``; False if this parse made it already (the caller renames)."""
        made = self.made.setdefault(kind, set())
        if made_id in made:
            return False
        made.add(made_id)
        return True

    def merge(self, later: "MadeIds") -> Renames:
        """Add the ids made in the rows that follow this one's; returns those of the later rows
        that repeat one of these and must be renamed."""
        renames: Renames = {}
        for kind, ids in later.made.items():
            made = self.made.setdefault(kind, set())
            repeated = made & ids
            if kind in RENAMED:
                if repeated:
                    renames[kind] = repeated
            else:
                repeated |= later.repeated.get(kind, set())
                if repeated:
                    self.repeated.setdefault(kind, set()).update(repeated)
            made |= ids
        return renames


def keep_row_ids_unique(result: RowResult, index: int, made_ids: MadeIds) -> None:
    """Give a row whose transaction id an earlier row has the id ``<id>_<index>``, and its
    logs the ids that begin so."""
    for transaction in result.transactions:
        old = transaction.id
        if made_ids.claim("rows", old):
            continue
        new = transaction.id = f"{old}_{index}"
        made_ids.claim("rows", new)
        for log in result.logs:
            if log.id.startswith(old):
                log.id = new + log.id[len(old) :]
            if log.txId == old:
                log.txId = new
