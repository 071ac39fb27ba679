"""Result lists the connection may free once they are sent."""

from typing import Any


class OwnedList(list[Any]):
    """A method's result list that nothing else holds. Once it is encoded, the connection
    empties it on a thread, a part at a time (``large_lists.empty_in_parts``), so that freeing
    it never holds up the event loop."""
