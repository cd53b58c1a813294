"""The traffic generator: `/sandbox/v1/traffic` over HTTP (rate on the sandbox clock, what it
produces through the REST API and webhooks, stopping) and the generator in process
(determinism, stop and reset, outside parties)."""

import pytest

from sandbox.traffic.settings import DEFAULT_MIX, parse_settings
from sandbox.voice import engine_of
from tests.sandbox.calls import ACCOUNT_SESSIONS, validate_event
from tests.sandbox.inprocess import new_world, published
from tests.support.openapi import assert_valid
from tests.support.webhooks import subscribe

PRESENCE = "/restapi/v1.0/account/~/presence?detailedTelephonyState=true"
MONTH = {"dateFrom": "2020-01-01T00:00:00Z"}


def run(sandbox, seconds: int, step: int = 5) -> None:
    for _ in range(seconds // step):
        sandbox.advance(step)


def test_traffic_makes_calls_messages_and_events_at_the_asked_rate(
    sandbox, admin_api, webhook_receiver
):
    sub = subscribe(admin_api, webhook_receiver, [ACCOUNT_SESSIONS, PRESENCE])
    assert sub.status_code == 200
    started = sandbox.traffic("start", rate=30, seed="t1", talk_median_s=30)
    assert (started["running"], started["activities"], started["settings"]["rate"]) == (
        True,
        0,
        30.0,
    )
    run(sandbox, 300)  # five minutes of sandbox clock: about 150 activities
    status = sandbox.traffic_status()
    assert 120 <= status["activities"] <= 180
    assert sum(status["counts"].values()) == status["activities"]
    assert status["counts"]["inbound_call"] > status["counts"]["fax_inbound"] > 0
    assert {"answered", "voicemail", "missed", "received", "sent"} <= set(status["outcomes"])

    log = assert_valid(admin_api.get("/restapi/v1.0/account/~/call-log", params=MONTH))
    results = {r["result"] for r in log["records"]}
    assert len(log["records"]) >= 40
    assert {"Accepted", "Voicemail", "Missed"} <= results
    stored = 0
    for user in sandbox.credentials()["users"]:
        box = admin_api.get(
            f"/restapi/v1.0/account/~/extension/{user['extension_id']}/message-store",
            params=MONTH,
        )
        stored += len(assert_valid(box)["records"])
    assert stored >= 30

    notes = [d.json for d in webhook_receiver.wait_for(100)]
    telephony = [n for n in notes if "/telephony/sessions" in n["event"]]
    assert len(telephony) >= 50 and len(notes) - len(telephony) >= 20
    for note in telephony[:30]:
        validate_event(note)

    stopped = sandbox.traffic("stop")
    assert (stopped["running"], stopped["live_calls"]) == (False, 0)
    assert sandbox.calls() == []
    run(sandbox, 120)
    after = sandbox.traffic_status()
    assert (after["activities"], after["next_at"], sandbox.calls()) == (
        stopped["activities"],
        None,
        [],
    )


def test_traffic_control_refuses_bad_requests(sandbox):
    for body in (
        {},
        {"action": "go"},
        {"action": "start", "rate": 0},
        {"action": "start", "rate": "fast"},
        {"action": "start", "speed": 2},
        {"action": "start", "mix": {"carrier_pigeon": 1}},
        {"action": "start", "mix": dict.fromkeys(DEFAULT_MIX, 0)},
        {"action": "start", "hold_ratio": 1.5},
        {"action": "start", "users": ["999"]},
        {"action": "start", "parties": [{"name": "X", "number": "not a number"}]},
        {"action": "start", "parties": [{"name": "Main", "number": "+16505550100"}]},
        {"action": "stop", "rate": 1},
    ):
        response = sandbox.http.post("/sandbox/v1/traffic", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert sandbox.traffic_status()["running"] is False
    sandbox.traffic("start", rate=1)
    again = sandbox.http.post("/sandbox/v1/traffic", json={"action": "start"})
    assert (again.status_code, again.json()) == (
        409,
        {"error": "traffic is already running; stop it first"},
    )


def test_a_reset_stops_the_traffic(sandbox):
    sandbox.traffic("start", rate=60)
    sandbox.reset()
    run(sandbox, 30)
    assert sandbox.traffic_status()["activities"] == 0
    assert sandbox.calls() == []


# --- in process ---


def play(seed: str, seconds: int = 600, **settings):
    world = new_world()
    events = published(world)
    generator = world.modules["traffic"]
    generator.start(parse_settings({"rate": 20, "seed": seed, **settings}))
    for _ in range(seconds):
        world.clock.advance(1)
        world.scheduler.run_due()
    return world, generator, events


def story(generator) -> list[tuple]:
    return [(r["kind"], r["from"], r["to"], r["outcome"], r.get("pages")) for r in generator.recent]


def call_log(world) -> list[tuple]:
    return [
        (e.extension_id, e.direction, e.result, e.from_.phone_number, e.to.phone_number)
        for e in engine_of(world).calllog.entries
    ]


def test_the_same_seed_tells_the_same_story():
    first, one, _ = play("same")
    second, two, _ = play("same")
    _, three, _ = play("other")
    assert story(one) == story(two) and len(story(one)) >= 100
    assert call_log(first) == call_log(second)
    assert story(one) != story(three)


def test_stop_hangs_up_the_generated_calls_and_cancels_every_step():
    world, generator, events = play("stop", seconds=120, talk_median_s=600)
    voice = engine_of(world)
    live = len(voice.sessions)
    assert live > 0
    assert generator.stop() == live
    assert voice.sessions == {}
    assert world.presence.of(voice.user("101")).calls == {}
    seen = len(events)
    for _ in range(900):
        world.clock.advance(1)
        world.scheduler.run_due()
    # only texts already on their way still turn Sent/Delivered
    assert {e.kind for e in events[seen:]} <= {"message-store"}


def test_outside_parties_are_who_calls_and_texts():
    parties = [
        {"name": "Jane Roe", "number": "+14155550123"},
        {"name": None, "number": "2125550100"},
    ]
    _, generator, _ = play("parties", parties=parties)
    outside = {r["from"] for r in generator.recent if not r["from"].isdigit()}
    outside |= {r["to"] for r in generator.recent if r["kind"] in ("outbound_call", "sms_outbound")}
    assert outside == {"+14155550123", "+12125550100"}


def test_a_limit_stops_new_activity_and_lets_calls_finish():
    world, generator, _ = play("limit", seconds=1800, limit=5)
    assert (generator.running, generator.activities) == (False, 5)
    assert engine_of(world).sessions == {}


@pytest.mark.parametrize("kind", ["sms_inbound", "mms_inbound", "fax_inbound", "sms_outbound"])
def test_message_kinds_land_in_the_message_store(kind):
    mix = dict.fromkeys(DEFAULT_MIX, 0) | {kind: 1}
    world, generator, events = play(kind, seconds=120, mix=mix, reply_ratio=1)
    store = world.modules["messages"]
    assert generator.counts[kind] == generator.activities > 0
    assert len(store.messages) >= generator.activities
    assert world.outbox.query() == []  # typed on phones, not sent by the app
    assert {"message-store"} <= {e.kind for e in events}
