"""What every CSV importer provides, and the error they raise.

An importer is one :class:`Parser` value: its identity (ids, accepted header lines, context
requirements), a per-row function and, for formats that combine rows, a finaliser that runs over
all logs sharing one timestamp.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.evm.chains import builtin_chain, unsupported_platform


class ImportFormatError(ValueError):
    """A file that cannot be imported: the message is what the user sees.

    ``row`` is the 1-based data row (the header is not counted), ``column`` the column name when
    the problem is in one column.
    """

    def __init__(self, reason: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row
        self.column = column

    def at_row(self, row: int) -> "ImportFormatError":
        """The same error, reported as ``Cannot parse row <row>: <reason>``."""
        return ImportFormatError(
            f"Cannot parse row {row}: {self.reason}", row=row, column=self.column
        )


class Requirement(TypedDict):
    name: str
    type: str


PLATFORM_REQUIREMENT: Requirement = {"name": "platform", "type": "platform"}
USER_ADDRESS_REQUIREMENT: Requirement = {"name": "userAddress", "type": "address"}


@dataclass(frozen=True, slots=True)
class ParserContext:
    """What the user supplies before the import (``parserContext`` on the wire)."""

    platform: str | None = None
    user_address: str | None = None

    @classmethod
    def from_wire(cls, context: Mapping[str, object] | None) -> "ParserContext":
        context = context or {}
        platform = context.get("platform")
        user_address = context.get("userAddress")
        return cls(
            platform=platform if isinstance(platform, str) and platform else None,
            user_address=user_address if isinstance(user_address, str) and user_address else None,
        )

    def require_evm_platform(self) -> str:
        """The context's platform, the Etherscan formats': a chain a wallet connection could
        sync (``chain.ethereum``), refused as that connection would be otherwise."""
        if not self.platform:
            raise ImportFormatError("'platform' is required for this type of file import")
        if builtin_chain(self.platform) is None:
            raise ImportFormatError(unsupported_platform(self.platform))
        return self.platform


@dataclass(slots=True)
class RowResult:
    logs: list[AuditLog] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)


RowParser = Callable[[str, int, str, ParserContext], RowResult]
"""``(row_text, index, file_import_id, context) -> RowResult``."""

GroupFinaliser = Callable[[list[AuditLog], str], tuple[list[AuditLog], list[Transaction]]]
"""``(logs, file_import_id) -> (merged logs, extracted transactions)``.

It must only ever combine logs that share a timestamp, so it can run on one timestamp run of a
sorted file or on the whole file with the same result.
"""


@dataclass(frozen=True, slots=True)
class Parser:
    parser_id: str
    extension_id: str
    platform_id: str | None
    headers: tuple[str, ...]
    parse_row: RowParser
    requirements: tuple[Requirement, ...] = ()
    finalise_group: GroupFinaliser | None = None
    platform_id_from_context: bool = False
    """The meta ``platformId`` is the context's ``platform``; when this is false and
    ``platform_id`` is None, it is the first log's."""
    row_ids_hashed: bool = False
    """A row's transaction id is ``<fid>_<hash(index + "_" + row)>`` and its logs' ids begin
    with it (file-formats §2.2–2.6): a 32-bit hash, which two rows of a large file may share."""
