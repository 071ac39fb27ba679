"""The event bus: listeners hear in order of subscription, and each leaves on its own."""

from typing import Any

from privatefolio_daemon.domain.events import EventBus


class Listener:
    """A listener that notes what it heard, and how often another listener was compared with it
    (as searching a list for a listener does)."""

    comparisons = 0

    def __init__(self, name: str, heard: list[str]) -> None:
        self.name = name
        self.heard = heard

    def __call__(self, *args: Any) -> None:
        self.heard.append(self.name)

    def __eq__(self, other: object) -> bool:
        Listener.comparisons += 1
        return self is other

    __hash__ = object.__hash__


def test_listeners_hear_in_order_of_subscription_after_others_left() -> None:
    bus, heard = EventBus(), []
    stops = {name: bus.subscribe("ticks", Listener(name, heard)) for name in "abcd"}
    stops["b"]()
    stops["e"] = bus.subscribe("ticks", Listener("e", heard))
    stops["a"]()
    bus.emit("ticks", 1)
    assert heard == ["c", "d", "e"]


def test_an_unsubscribe_called_twice_leaves_the_other_subscriptions_of_its_listener() -> None:
    bus, heard = EventBus(), []
    listener = Listener("twice", heard)
    first = bus.subscribe("ticks", listener)
    bus.subscribe("ticks", listener)
    first()
    first()
    bus.emit("ticks", 1)
    assert heard == ["twice"]
    assert bus.listener_count("ticks") == 1


def test_unsubscribing_compares_no_listener() -> None:
    """A client that closed with 200,000 subscriptions froze every client for seconds while each
    of its subscriptions searched its channel's list of listeners."""
    bus, heard = EventBus(), []
    stops = [bus.subscribe("ticks", Listener(str(n), heard), "main") for n in range(2000)]
    Listener.comparisons = 0
    for stop in reversed(stops):
        stop()
    assert Listener.comparisons == 0
    assert bus.listener_count() == 0
