"""`--seed demo`: 30 days of call and message history for every user, read back through the
REST API (spec-valid), built without events, deterministic, with callers from
`--outside-parties FILE`."""

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from sandbox.core.media import wav_duration
from tests.conftest import LOG_DIR
from tests.sandbox.conftest import login_api
from tests.support.openapi import assert_valid
from tests.support.sandbox import start_sandbox

CALL_LOG = "/restapi/v1.0/account/~/call-log"


def since(days: int) -> str:
    return datetime.fromtimestamp(time.time() - days * 86400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_call_log(api) -> list[dict]:
    body = assert_valid(
        api.get(CALL_LOG, params={"dateFrom": since(31), "perPage": 1000, "view": "Detailed"})
    )
    assert body["navigation"].get("nextPage") is None
    return body["records"]


def mailbox(api, extension_id: str, **params) -> list[dict]:
    response = api.get(
        f"/restapi/v1.0/account/~/extension/{extension_id}/message-store",
        params={"dateFrom": since(31), "perPage": 1000, **params},
    )
    return assert_valid(response)["records"]


@pytest.fixture
def demo(sandbox):
    sandbox.reset(seed="demo")
    sandbox.config(rate_limits_enabled=False)
    _, api = login_api(sandbox, "admin")
    with api:
        yield sandbox, api


def test_demo_history_covers_30_days_for_every_user(demo):
    sandbox, api = demo
    records = account_call_log(api)
    days = {r["startTime"][:10] for r in records}
    assert len(days) >= 20
    assert min(r["startTime"] for r in records) >= since(31)
    assert {"Accepted", "Call connected", "Missed", "Voicemail"} <= {r["result"] for r in records}
    per_user = Counter(r["extension"]["id"] for r in records)
    users = sandbox.credentials()["users"]
    assert min(per_user[int(u["extension_id"])] for u in users) >= 20, per_user
    assert {r["direction"] for r in records} == {"Inbound", "Outbound"}
    assert sandbox.status()["events_published"] == 0


def test_demo_recordings_and_voicemails_have_real_content(demo):
    _, api = demo
    records = account_call_log(api)
    recorded = [r for r in records if "recording" in r]
    assert len(recorded) >= 20
    record = recorded[0]
    content = api.get(record["recording"]["contentUri"])
    assert content.status_code == 200 and content.content.startswith(b"RIFF")
    seconds = wav_duration(content.content)
    assert assert_valid(api.get(record["recording"]["uri"]))["duration"] == round(seconds)
    with_voicemail = [r for r in records if r.get("message", {}).get("type") == "VoiceMail"]
    assert len(with_voicemail) >= 10
    owner = with_voicemail[0]["extension"]["id"]
    voicemails = mailbox(api, owner, messageType="VoiceMail")
    linked = {str(m["id"]) for m in voicemails}
    assert {r["message"]["id"] for r in with_voicemail if r["extension"]["id"] == owner} <= linked
    transcribed = [m for m in voicemails if m["vmTranscriptionStatus"] == "Completed"]
    assert transcribed and {"AudioRecording", "AudioTranscription"} <= {
        a["type"] for a in transcribed[0]["attachments"]
    }


def test_demo_messages_are_sms_conversations_faxes_and_voicemails(demo):
    sandbox, api = demo
    alice, admin = sandbox.user("101"), sandbox.user("admin")
    sms = mailbox(api, alice["extension_id"], messageType="SMS")
    assert len(sms) >= 10
    assert {m["direction"] for m in sms} == {"Inbound", "Outbound"}
    conversations = Counter(m["conversationId"] for m in sms)
    assert max(conversations.values()) >= 2  # openers with replies
    assert {m["readStatus"] for m in sms if m["creationTime"] < since(1)} <= {"Read"}
    faxes = mailbox(api, admin["extension_id"], messageType="Fax")
    assert len(faxes) >= 3 and {m["messageStatus"] for m in faxes} <= {"Received", "Sent"}
    assert sandbox.outbox() == []  # nothing in history was sent through the app


def test_the_demo_seed_is_deterministic(sandbox):
    def snapshot():
        sandbox.reset(seed="demo")
        _, api = login_api(sandbox, "admin")
        with api:
            calls = [(r["id"], r["startTime"], r["result"]) for r in account_call_log(api)]
            box = mailbox(api, sandbox.user("101")["extension_id"])
            texts = [(m["id"], m["subject"]) for m in box]
        return calls, texts

    first = snapshot()
    assert snapshot() == first
    assert sandbox.reset(keep_config=True)["seed"] == "demo"
    assert sandbox.reset()["seed"] == "basic"  # the start-up seed


def test_outside_parties_from_a_file_are_the_callers(tmp_path):
    parties = [
        {"name": "Jane Roe", "number": "(415) 555-0123"},
        {"name": "Omar Haddad", "number": "+442079460055"},
        {"name": "Not outside", "number": "+16505550101"},  # Alice's own number: ignored
    ]
    path = tmp_path / "parties.json"
    path.write_text(json.dumps(parties))
    server, sandbox = start_sandbox(
        LOG_DIR, "--seed", "demo", "--outside-parties", str(path), "--no-rate-limits"
    )
    try:
        _, api = login_api(sandbox, "admin")
        with api:
            records = account_call_log(api)
        outside = {
            side.get("phoneNumber")
            for r in records
            for side in (r["from"], r["to"])
            if "extensionNumber" not in side
        }
        assert outside == {"+14155550123", "+442079460055"}
        names = {r["from"].get("name") for r in records if r["direction"] == "Inbound"}
        assert {"Jane Roe", "Omar Haddad"} <= names
        traffic = sandbox.traffic("start", rate=1)
        assert traffic["parties"] == 2
    finally:
        sandbox.close()
        server.stop()


def test_a_bad_outside_parties_file_stops_start_up(tmp_path):
    path = tmp_path / "parties.json"
    path.write_text(json.dumps([{"name": "X", "number": "nope"}]))
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "1", "--outside-parties", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == f"sandbox: {path}[0]: 'nope' is not a phone number"
