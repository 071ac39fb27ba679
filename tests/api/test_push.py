"""Web push through the daemon: devices subscribe with its VAPID key, notifications reach them
encrypted, through a push service stand-in that verifies the VAPID signature as real ones do."""

import asyncio
import stat
from collections.abc import Iterator

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import until
from tests.api.test_notifications import run_failing_task
from tests.standins.background_server import serve_in_thread
from tests.standins.push_service import Browser, PushServiceStandin, b64url_decode


@pytest.fixture
def push_service() -> Iterator[PushServiceStandin]:
    service = PushServiceStandin()
    with serve_in_thread(service.app()) as url:
        service.origin = url
        yield service


async def one_phone(client: DaemonClient, push_service: PushServiceStandin) -> Browser:
    """The account "main" with one device registered."""
    await client.call("createAccount", "main")
    phone = Browser(push_service.origin, "phone")
    await client.call("addPushDevice", "main", phone.subscription(), "phone-1")
    return phone


def expected_payload(title: str, text: str, created_at: int) -> dict[str, object]:
    return {
        "title": title,
        "options": {
            "badge": "/icon-512x512.png",
            "body": text,
            "data": {"url": "https://privatefolio.app"},
            "icon": "/icon-512x512.png",
            "tag": "General",
            "timestamp": created_at * 1000,
        },
    }


async def test_the_vapid_key_is_made_once_and_kept(daemon: Daemon, client: DaemonClient) -> None:
    key = await client.call("getVapidPublicKey")
    assert len(b64url_decode(key)) == 65 and b64url_decode(key)[0] == 4
    assert await client.call("getVapidPublicKey") == key
    auth = daemon.config.data_dir / "auth"
    assert (auth / ".vapid_public").read_text() == key
    assert stat.S_IMODE((auth / ".vapid_private").stat().st_mode) == 0o600


async def test_a_notification_reaches_every_device_encrypted_and_signed(
    client: DaemonClient, push_service: PushServiceStandin
) -> None:
    await client.call("createAccount", "main")
    phone, laptop = Browser(push_service.origin, "phone"), Browser(push_service.origin, "laptop")
    await client.call("addPushDevice", "main", phone.subscription(), "phone-1", "Mobile Safari")
    await client.call("addPushDevice", "main", laptop.subscription(), "laptop-1")
    devices = await client.call("getPushDevices", "main")
    assert [(d["deviceId"], d.get("userAgent")) for d in devices] == [
        ("phone-1", "Mobile Safari"),
        ("laptop-1", None),
    ]
    assert devices[0]["subscription"] == {
        "endpoint": phone.endpoint,
        "keys": phone.subscription()["keys"],
    }

    created = await client.call(
        "createAndPushNotification", "main", "Price alert", "BTC crossed 100k", {"asset": "BTC"}
    )
    assert created["pushed"] == {"sent": 2, "failed": 0, "removed": 0}
    [stored] = await client.call("getNotifications", "main")
    assert stored == {key: created[key] for key in stored}
    assert (stored["title"], stored["status"], stored["metadata"]) == (
        "Price alert",
        0,
        {"asset": "BTC"},
    )

    assert push_service.refused == []
    by_device = {push.device: push for push in push_service.received}
    payload = expected_payload("Price alert", "BTC crossed 100k", stored["createdAt"])
    assert phone.read(by_device["phone"]) == payload
    assert laptop.read(by_device["laptop"]) == payload
    vapid_key = await client.call("getVapidPublicKey")
    for push in push_service.received:
        assert push.vapid_key == vapid_key
        assert push.claims["sub"] == "https://privatefolio.app"
        assert push.claims["aud"] == push_service.origin
        assert int(push.headers["ttl"]) == 86400


async def test_a_device_that_unsubscribed_is_forgotten_and_a_failing_one_kept(
    client: DaemonClient, push_service: PushServiceStandin
) -> None:
    await client.call("createAccount", "main")
    gone, down, fine = (Browser(push_service.origin, name) for name in ("gone", "down", "fine"))
    push_service.status_of.update({"gone": 410, "down": 503})
    for number, browser in enumerate((gone, down, fine)):
        await client.call("addPushDevice", "main", browser.subscription(), f"device-{number}")

    created = await client.call("createAndPushNotification", "main", "Hello", "world")
    assert created["pushed"] == {"sent": 1, "failed": 1, "removed": 1}
    devices = await client.call("getPushDevices", "main")
    assert [d["deviceId"] for d in devices] == ["device-1", "device-2"]

    await client.call("removePushDevice", "main", down.endpoint)
    assert [d["deviceId"] for d in await client.call("getPushDevices", "main")] == ["device-2"]


async def test_a_long_text_is_cut_to_what_a_push_service_takes(
    client: DaemonClient, push_service: PushServiceStandin
) -> None:
    phone = await one_phone(client, push_service)
    text = "Traceback: " + "x" * 5000
    created = await client.call("createAndPushNotification", "main", "Import failed", text)
    assert created["pushed"] == {"sent": 1, "failed": 0, "removed": 0}
    assert created["text"] == text  # the notification itself keeps all of it
    body = phone.read(push_service.received[0])["options"]["body"]
    assert body == text[:999] + "…"

    escaped = "\x01" * 900  # 6 bytes each in JSON: cut further, until the message fits
    created = await client.call("createAndPushNotification", "main", "Odd", escaped)
    assert created["pushed"] == {"sent": 1, "failed": 0, "removed": 0}
    body = phone.read(push_service.received[1])["options"]["body"]
    assert body.endswith("…") and escaped.startswith(body[:-1]) and len(body) < 650


async def test_adding_a_device_again_replaces_it(
    client: DaemonClient, push_service: PushServiceStandin
) -> None:
    await client.call("createAccount", "main")
    browser = Browser(push_service.origin, "phone")
    await client.call("addPushDevice", "main", browser.subscription(), "old id")
    await client.call("addPushDevice", "main", browser.subscription(), "new id")
    assert [d["deviceId"] for d in await client.call("getPushDevices", "main")] == ["new id"]


async def test_a_background_task_that_fails_is_pushed(
    daemon: Daemon, client: DaemonClient, push_service: PushServiceStandin
) -> None:
    phone = await one_phone(client, push_service)

    await run_failing_task(daemon, client, "user")  # the user saw it fail: no notification
    await run_failing_task(daemon, client, "cron")
    await until(lambda: len(push_service.received) == 1)
    [stored] = await client.call("getNotifications", "main")
    assert phone.read(push_service.received[0]) == expected_payload(
        "Fetch asset prices failed", "Error: the price API is down", stored["createdAt"]
    )
    await run_failing_task(daemon, client, "cron")  # the same failure again: no second push
    await asyncio.sleep(0.2)
    assert len(push_service.received) == 1


@pytest.mark.parametrize(
    ("subscription", "message"),
    [
        ("nope", "Invalid params: 'subscription' must be an object, not a string"),
        (
            {"endpoint": "http://push.example.com/x", "keys": {}},
            "The push endpoint must be an https URL (http only on this machine), not "
            "'http://push.example.com/x'",
        ),
        (
            {"endpoint": "https://push.example.com/x"},
            "A push subscription needs keys {p256dh, auth}",
        ),
        (
            {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "AAAA", "auth": "x"}},
            "keys.p256dh must be 65 bytes in base64url",
        ),
    ],
)
async def test_a_bad_subscription_is_refused_clearly(
    client: DaemonClient, subscription: object, message: str
) -> None:
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as refused:
        await client.call("addPushDevice", "main", subscription, "device")
    assert (refused.value.code, refused.value.message) == (-32602, message)
    assert await client.call("getPushDevices", "main") == []
