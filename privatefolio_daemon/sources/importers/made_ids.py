"""The ids a group finaliser made while a file was parsed, and which of them the file repeats."""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(slots=True)
class MadeIds:
    """The ids of the records a group finaliser made (swaps, merged logs), by ledger table.

    A row's own ids carry its index in the file, so they never repeat within it. A finaliser's
    ids are hashes of what its group holds (two Binance swaps of one pair at one price share an
    id), so a file may repeat them. Knowing which ones it repeats, a bulk load deletes their
    older copies before it builds the unique indexes, instead of sorting every id a second time
    after a failed build (``store.bulk_load``).
    """

    made: dict[str, set[str]] = field(default_factory=dict)
    repeated: dict[str, set[str]] = field(default_factory=dict)

    def add(self, table: str, ids: Iterable[str]) -> None:
        made = self.made.setdefault(table, set())
        for made_id in ids:
            if made_id in made:
                self.repeated.setdefault(table, set()).add(made_id)
            else:
                made.add(made_id)

    def merge(self, later: "MadeIds") -> None:
        """Add the ids made in the rows that follow this one's."""
        for table, ids in later.made.items():
            made = self.made.setdefault(table, set())
            repeated = (made & ids) | later.repeated.get(table, set())
            if repeated:
                self.repeated.setdefault(table, set()).update(repeated)
            made |= ids
