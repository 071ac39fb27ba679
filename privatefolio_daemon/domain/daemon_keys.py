"""Key-value entries that are the daemon's own, as the table ``sqlite_sequence`` is: the
counters that keep ids from being given twice, the name of their line, and the sync feed's
identity. Neither ``setValue`` nor ``executeSql`` may change them."""

from privatefolio_daemon.domain.id_floors import LINEAGE_KEY
from privatefolio_daemon.domain.manual_transactions import SEQUENCE_KEY as MANUAL_SEQUENCE_KEY
from privatefolio_daemon.store.change_log import FEED_ID_KEY
from privatefolio_daemon.store.connections import SEQUENCE_KEY as CONNECTION_SEQUENCE_KEY

DAEMON_KEYS = (FEED_ID_KEY, MANUAL_SEQUENCE_KEY, CONNECTION_SEQUENCE_KEY, LINEAGE_KEY)


def daemon_key_refusal(key: str) -> str:
    return f"The key {key} of key_value is the daemon's own and cannot be changed"
