"""Call history (CONTRACT §7, §11): call log views, filters, paging, by id (207 multipart),
call-log sync (FSync/ISync, the 250 rule, resets), active calls, and recordings with Range."""

import json
import wave
from io import BytesIO

import httpx
import pytest

from tests.conftest import LOG_DIR
from tests.sandbox.calls import ALICE_DIRECT, BEN_DIRECT, OUTSIDE
from tests.sandbox.conftest import login_api
from tests.support.openapi import assert_valid, validate_response
from tests.support.processes import free_port
from tests.support.sandbox import start_sandbox

CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"
SYNC = "/restapi/v1.0/account/~/extension/~/call-log-sync"


@pytest.fixture(autouse=True)
def _no_rate_limits(sandbox):
    """History endpoints are Heavy (10 requests a minute); these tests make more."""
    sandbox.config(rate_limits_enabled=False)


def answered_call(sandbox, caller=OUTSIDE, callee=ALICE_DIRECT, talk=42, **options):
    """A call that is answered, lasts `talk` seconds (sandbox clock) and is hung up."""
    call = sandbox.start_call(caller, callee, **options)
    session_id = call["telephonySessionId"]
    sandbox.drive(session_id, "answer")
    sandbox.advance(talk)
    sandbox.drive(session_id, "hangup")
    return sandbox.call(session_id)


def missed_call(sandbox, caller=OUTSIDE, callee=ALICE_DIRECT):
    call = sandbox.start_call(caller, callee)
    sandbox.drive(call["telephonySessionId"], "hangup")
    return sandbox.call(call["telephonySessionId"])


def multipart_parts(response):
    boundary = response.headers["content-type"].split("boundary=")[1]
    return [
        json.loads(chunk.split("\r\n\r\n", 1)[1])
        for chunk in response.text.split(f"--{boundary}")
        if "\r\n\r\n" in chunk
    ]


@pytest.fixture
def supervisor_api(sandbox):
    _, api = login_api(sandbox, "supervisor")
    with api:
        yield api


def test_an_answered_inbound_call_in_the_simple_view(sandbox, alice_api):
    call = answered_call(sandbox, from_name="Jane Customer")
    alice = sandbox.user("101")
    body = assert_valid(alice_api.get(CALL_LOG))
    [record] = body["records"]
    record_id = call["callLogIds"][alice["extension_id"]]
    base = f"{sandbox.url}/restapi/v1.0/account/{sandbox.credentials()['account_id']}"
    assert record == {
        "uri": f"{base}/extension/{alice['extension_id']}/call-log/{record_id}?view=Simple",
        "id": record_id,
        "sessionId": call["sessionId"],
        "telephonySessionId": call["telephonySessionId"],
        "partyId": call["calleePartyId"],
        "startTime": record["startTime"],
        "duration": 42,
        "durationMs": record["durationMs"],
        "type": "Voice",
        "direction": "Inbound",
        "action": "Phone Call",
        "result": "Accepted",
        "reason": "Accepted",
        "reasonDescription": "The call was connected to and accepted by this number",
        "to": {
            "phoneNumber": alice["phone_numbers"][0]["phone_number"],
            "extensionNumber": "101",
            "extensionId": alice["extension_id"],
            "name": alice["name"],
        },
        "from": {
            "phoneNumber": OUTSIDE,
            "name": "Jane Customer",
            "location": "San Francisco, CA",
        },
        "transport": "PSTN",
        "extension": {
            "id": int(alice["extension_id"]),
            "uri": f"{base}/extension/{alice['extension_id']}",
        },
    }
    assert 42000 <= record["durationMs"] < 43000
    assert body["paging"]["page"] == 1 and "nextPage" not in body["navigation"]
    # Call-log times are whole seconds ("2023-06-06T23:07:20.000Z" in every official sample).
    assert record["startTime"].endswith(".000Z")
    detailed = assert_valid(alice_api.get(CALL_LOG, params={"view": "Detailed"}))["records"][0]
    assert {leg["startTime"] for leg in detailed["legs"]} == {record["startTime"]}


def test_the_detailed_view_has_legs_billing_and_modification_time(sandbox, alice_api):
    answered_call(sandbox, callee="+16505550101")
    [record] = assert_valid(alice_api.get(CALL_LOG, params={"view": "Detailed"}))["records"]
    assert record["uri"].endswith("?view=Detailed")
    assert record["billing"] == {"costIncluded": 0.0, "costPurchased": 0.0}
    assert record["lastModifiedTime"]
    [leg] = record["legs"]
    assert (leg["legType"], leg["master"], leg["result"], leg["direction"]) == (
        "Accept",
        True,
        "Accepted",
        "Inbound",
    )


def test_results_for_missed_voicemail_outbound_and_internal_calls(sandbox, alice_api):
    missed_call(sandbox)
    voicemail = sandbox.start_call(OUTSIDE, "101", voicemail_s=15)
    sandbox.drive(voicemail["telephonySessionId"], "voicemail")
    sandbox.advance(15)
    unanswered = sandbox.start_call("101", "+12125550100")
    sandbox.advance(60)
    assert sandbox.call(unanswered["telephonySessionId"])["status"] == "ended"
    answered_call(sandbox, caller="101", callee="102", talk=5)
    records = assert_valid(alice_api.get(CALL_LOG))["records"]
    assert [(r["direction"], r["action"], r["result"], r["transport"]) for r in records] == [
        ("Outbound", "VoIP Call", "Call connected", "VoIP"),
        ("Outbound", "VoIP Call", "No Answer", "PSTN"),
        ("Inbound", "Phone Call", "Voicemail", "PSTN"),
        ("Inbound", "Phone Call", "Missed", "PSTN"),
    ]
    assert records[0]["to"] == {
        "extensionNumber": "102",
        "extensionId": sandbox.user("102")["extension_id"],
        "name": sandbox.user("102")["name"],
    }
    assert records[2]["duration"] == 15


def test_filters(sandbox, alice_api):
    first = answered_call(sandbox, talk=1)
    answered_call(sandbox, caller="101", callee="+12125550100", talk=1)

    def listed(**params):
        return [
            r["sessionId"] for r in assert_valid(alice_api.get(CALL_LOG, params=params))["records"]
        ]

    assert listed(direction="Inbound") == [first["sessionId"]]
    assert len(listed(direction="Inbound,Outbound")) == 2
    assert listed(phoneNumber="14155550123") == [first["sessionId"]]
    assert listed(sessionId=first["sessionId"]) == [first["sessionId"]]
    assert listed(telephonySessionId=first["telephonySessionId"]) == [first["sessionId"]]
    assert listed(type="Fax") == []
    assert len(listed(transport="PSTN")) == 2
    assert listed(extensionNumber="102") == []
    bad = alice_api.get(CALL_LOG, params={"view": "Everything"})
    assert assert_valid(bad)["errors"][0]["parameterName"] == "view"
    assert alice_api.get(CALL_LOG, params={"direction": "Sideways"}).status_code == 400
    assert alice_api.get(CALL_LOG, params={"dateFrom": "yesterday"}).status_code == 400


def test_the_default_window_is_the_last_24_hours(sandbox):
    call = answered_call(sandbox, talk=1)
    sandbox.advance(25 * 3600)
    _, api = login_api(sandbox, "101")  # the earlier access token expired meanwhile
    with api:
        assert assert_valid(api.get(CALL_LOG))["records"] == []
        day = call["creationTime"][:10]
        older = api.get(CALL_LOG, params={"dateFrom": day + "T00:00:00Z"})
        assert [r["sessionId"] for r in assert_valid(older)["records"]] == [call["sessionId"]]


def test_paging_with_navigation_and_per_page_max(sandbox, alice_api):
    for _ in range(3):
        missed_call(sandbox)
    page1 = assert_valid(alice_api.get(CALL_LOG, params={"perPage": 2}))
    assert len(page1["records"]) == 2
    assert page1["paging"]["perPage"] == 2
    next_uri = page1["navigation"]["nextPage"]["uri"]
    page2 = assert_valid(alice_api.get(next_uri))
    assert len(page2["records"]) == 1
    assert "nextPage" not in page2["navigation"]
    assert {r["id"] for r in page1["records"]}.isdisjoint(r["id"] for r in page2["records"])
    # As in RingCentral's call-log examples (CONTRACT §7.1): no totals and no lastPage, so a
    # client has to follow navigation.nextPage.
    assert page1["paging"] == {"page": 1, "perPage": 2, "pageStart": 0, "pageEnd": 1}
    assert page2["paging"] == {"page": 2, "perPage": 2, "pageStart": 2, "pageEnd": 2}
    assert sorted(page2["navigation"]) == ["firstPage", "previousPage"]
    everything = assert_valid(alice_api.get(CALL_LOG, params={"perPage": "max"}))
    assert (len(everything["records"]), everything["paging"]["perPage"]) == (3, 1000)
    capped = assert_valid(alice_api.get(CALL_LOG, params={"perPage": 5000}))
    assert capped["paging"]["perPage"] == 1000
    assert alice_api.get(CALL_LOG, params={"perPage": 0}).status_code == 400


def test_company_call_log_is_for_supervisors(sandbox, alice_api, supervisor_api):
    answered_call(sandbox, talk=1)
    answered_call(sandbox, callee=BEN_DIRECT, talk=1)
    refused = alice_api.get("/restapi/v1.0/account/~/call-log")
    assert (refused.status_code, assert_valid(refused)["errors"][0]["errorCode"]) == (
        403,
        "CMN-408",
    )
    ben = sandbox.user("102")
    assert (
        alice_api.get(
            f"/restapi/v1.0/account/~/extension/{ben['extension_id']}/call-log"
        ).status_code
        == 403
    )
    body = assert_valid(supervisor_api.get("/restapi/v1.0/account/~/call-log"))
    assert sorted(r["extension"]["id"] for r in body["records"]) == sorted(
        int(sandbox.user(n)["extension_id"]) for n in ("101", "102")
    )
    assert body["records"][0]["uri"].startswith(f"{sandbox.url}/restapi/v1.0/account/")
    assert "/call-log/" in body["records"][0]["uri"]
    bens = assert_valid(
        supervisor_api.get(f"/restapi/v1.0/account/~/extension/{ben['extension_id']}/call-log")
    )
    assert [r["extension"]["id"] for r in bens["records"]] == [int(ben["extension_id"])]


def test_records_by_id_one_json_several_multipart(sandbox, alice_api):
    alice = sandbox.user("101")
    ids = [missed_call(sandbox)["callLogIds"][alice["extension_id"]] for _ in range(2)]
    one = alice_api.get(f"{CALL_LOG}/{ids[0]}")
    assert assert_valid(one)["id"] == ids[0]
    several = alice_api.get(f"{CALL_LOG}/{ids[0]},{ids[1]},nope")
    assert several.status_code == 207
    assert several.headers["content-type"].startswith("multipart/mixed; boundary=")
    parts = multipart_parts(several)
    assert parts[0] == {"response": [{"status": 200}, {"status": 200}, {"status": 404}]}
    assert [p["id"] for p in parts[1:3]] == ids
    for part in parts[1:3]:
        validate_response("GET", f"{CALL_LOG}/{part['id']}", 200, part)
    assert parts[3]["errors"][0]["errorCode"] == "CMN-102"
    missing = alice_api.get(f"{CALL_LOG}/nope")
    assert (missing.status_code, assert_valid(missing)["errors"][0]["errorCode"]) == (
        404,
        "CMN-102",
    )
    bens = missed_call(sandbox, callee=BEN_DIRECT)["callLogIds"][
        sandbox.user("102")["extension_id"]
    ]
    assert alice_api.get(f"{CALL_LOG}/{bens}").status_code == 404


def test_active_calls_while_a_call_is_live(sandbox, alice_api, supervisor_api):
    call = sandbox.start_call(OUTSIDE, "101")
    sandbox.drive(call["telephonySessionId"], "answer")
    [record] = assert_valid(alice_api.get("/restapi/v1.0/account/~/extension/~/active-calls"))[
        "records"
    ]
    assert (record["result"], record["telephonySessionId"], record["direction"]) == (
        "In Progress",
        call["telephonySessionId"],
        "Inbound",
    )
    company = assert_valid(supervisor_api.get("/restapi/v1.0/account/~/active-calls"))
    assert [r["id"] for r in company["records"]] == [record["id"]]
    assert alice_api.get("/restapi/v1.0/account/~/active-calls").status_code == 403
    sandbox.drive(call["telephonySessionId"], "hangup")
    assert (
        assert_valid(alice_api.get("/restapi/v1.0/account/~/extension/~/active-calls"))["records"]
        == []
    )
    [logged] = alice_api.get(CALL_LOG).json()["records"]
    assert logged["id"] == record["id"]


def test_full_then_incremental_sync(sandbox, alice_api):
    assert assert_valid(alice_api.get(SYNC))["errors"][0]["parameterName"] == "recordCount"
    older = missed_call(sandbox)
    newer = answered_call(sandbox, talk=1)
    full = assert_valid(alice_api.get(SYNC, params={"syncType": "FSync", "recordCount": 5}))
    assert [r["sessionId"] for r in full["records"]] == [newer["sessionId"], older["sessionId"]]
    assert full["syncInfo"]["syncType"] == "FSync"
    token = full["syncInfo"]["syncToken"]

    nothing = assert_valid(alice_api.get(SYNC, params={"syncType": "ISync", "syncToken": token}))
    assert nothing["records"] == []
    latest = missed_call(sandbox)
    changed = assert_valid(
        alice_api.get(
            SYNC, params={"syncType": "ISync", "syncToken": nothing["syncInfo"]["syncToken"]}
        )
    )
    assert [r["sessionId"] for r in changed["records"]] == [latest["sessionId"]]
    assert changed["syncInfo"]["syncType"] == "ISync"

    missed_only = assert_valid(
        alice_api.get(SYNC, params={"syncType": "FSync", "recordCount": 5, "statusGroup": "Missed"})
    )
    assert [r["sessionId"] for r in missed_only["records"]] == [
        latest["sessionId"],
        older["sessionId"],
    ]


def test_sync_refusals(sandbox, alice_api):
    unknown = alice_api.get(SYNC, params={"syncType": "ISync", "syncToken": "made-up"})
    assert assert_valid(unknown)["errors"][0]["errorCode"] == "CLG-102"
    assert alice_api.get(SYNC, params={"syncType": "ISync"}).status_code == 400
    too_many = alice_api.get(SYNC, params={"syncType": "FSync", "recordCount": 251})
    assert too_many.status_code == 400
    old = alice_api.get(
        SYNC, params={"syncType": "FSync", "recordCount": 5, "dateFrom": "2020-01-01T00:00:00Z"}
    )
    assert assert_valid(old)["errors"][0]["parameterName"] == "dateFrom"


def test_call_log_reset_fault_forces_a_full_sync(sandbox, alice_api):
    token = alice_api.get(SYNC, params={"recordCount": 5}).json()["syncInfo"]["syncToken"]
    result = sandbox.add_fault("call_log_sync_reset")
    assert result == {
        "kind": "call_log_sync_reset",
        "applied": True,
        "extension_id": None,
        "tokens_invalidated": 1,
    }
    refused = alice_api.get(SYNC, params={"syncType": "ISync", "syncToken": token})
    assert refused.status_code == 400
    assert assert_valid(refused)["errors"] == [
        {
            "errorCode": "CLG-101",
            "message": "Parameter [syncToken] is invalid [Sync token expired, call log was reset]",
            "parameterName": "syncToken",
        }
    ]
    fresh = alice_api.get(SYNC, params={"recordCount": 5}).json()["syncInfo"]["syncToken"]
    again = alice_api.get(SYNC, params={"syncType": "ISync", "syncToken": fresh})
    assert again.status_code == 200


def test_more_than_250_changes_need_a_full_sync(sandbox, alice_api):
    token = alice_api.get(SYNC, params={"recordCount": 1}).json()["syncInfo"]["syncToken"]
    for _ in range(251):
        missed_call(sandbox)
    refused = alice_api.get(SYNC, params={"syncType": "ISync", "syncToken": token})
    assert assert_valid(refused)["errors"][0] == {
        "errorCode": "CLG-104",
        "message": "Parameter [syncToken] is invalid [max sync record number limit is exceeded]",
        "parameterName": "syncToken",
    }
    full = assert_valid(alice_api.get(SYNC, params={"recordCount": 250}))
    assert len(full["records"]) == 250


def recorded_call(sandbox, talk):
    return answered_call(sandbox, talk=talk, record=True)


def test_a_recorded_call_has_metadata_and_audio(sandbox, alice_api):
    recorded_call(sandbox, talk=45)
    [record] = assert_valid(alice_api.get(CALL_LOG, params={"recordingType": "Automatic"}))[
        "records"
    ]
    recording = record["recording"]
    account = sandbox.credentials()["account_id"]
    media = sandbox.credentials()["media_server"]
    assert recording == {
        "uri": f"{sandbox.url}/restapi/v1.0/account/{account}/recording/{recording['id']}",
        "id": recording["id"],
        "type": "Automatic",
        "contentUri": f"{media}/restapi/v1.0/account/{account}/recording/{recording['id']}/content",
    }
    metadata = assert_valid(alice_api.get(recording["uri"]))
    assert metadata == {
        "id": recording["id"],
        "contentUri": recording["contentUri"],
        "contentType": "audio/wav",
        "duration": 45,
    }
    audio = alice_api.get(recording["contentUri"])
    assert (audio.status_code, audio.headers["content-type"]) == (200, "audio/wav")
    with wave.open(BytesIO(audio.content)) as wav:
        assert wav.getnframes() / wav.getframerate() == 45
    part = alice_api.get(recording["contentUri"], headers={"Range": "bytes=0-99"})
    assert (part.status_code, len(part.content), part.headers["content-range"]) == (
        206,
        100,
        f"bytes 0-99/{len(audio.content)}",
    )
    assert part.content == audio.content[:100]
    beyond = alice_api.get(
        recording["contentUri"], headers={"Range": f"bytes={len(audio.content)}-"}
    )
    assert beyond.status_code == 416
    assert beyond.json()["errors"][0]["errorCode"] == "CMN-107"


def test_recording_content_takes_the_token_in_the_query(sandbox, alice_api):
    recorded_call(sandbox, talk=31)
    [record] = alice_api.get(CALL_LOG).json()["records"]
    token = alice_api.headers["authorization"].split()[1]
    with sandbox.api("unused") as anonymous:
        anonymous.headers.pop("authorization")
        listened = anonymous.get(record["recording"]["contentUri"], params={"access_token": token})
        assert listened.status_code == 200
        refused = anonymous.get(record["recording"]["uri"], params={"access_token": token})
        assert refused.status_code == 401


def test_recordings_are_private_to_their_call_unless_supervising(sandbox, supervisor_api):
    recorded_call(sandbox, talk=31)
    _, ben_api = login_api(sandbox, "102")
    record = supervisor_api.get("/restapi/v1.0/account/~/call-log").json()["records"][0]
    with ben_api:
        refused = ben_api.get(record["recording"]["uri"])
        assert (refused.status_code, assert_valid(refused)["errors"][0]["errorCode"]) == (
            403,
            "CMN-408",
        )
    assert supervisor_api.get(record["recording"]["uri"]).status_code == 200
    assert (
        supervisor_api.get(record["recording"]["uri"].rsplit("/", 1)[0] + "/999").status_code == 404
    )


def test_short_recordings_are_not_kept(sandbox, alice_api):
    recorded_call(sandbox, talk=10)
    [record] = assert_valid(alice_api.get(CALL_LOG))["records"]
    assert record["shortRecording"] is True
    assert "recording" not in record
    assert alice_api.get(CALL_LOG, params={"withRecording": "true"}).json()["records"] == []


def test_on_demand_recording_through_the_control_api(sandbox, alice_api):
    call = sandbox.start_call("101", OUTSIDE)
    session_id = call["telephonySessionId"]
    sandbox.drive(session_id, "answer")
    sandbox.drive(session_id, "record")
    sandbox.advance(40)
    sandbox.drive(session_id, "hangup")
    [record] = alice_api.get(CALL_LOG, params={"recordingType": "OnDemand"}).json()["records"]
    metadata = assert_valid(alice_api.get(record["recording"]["uri"]))
    assert metadata["duration"] == 40


def test_voicemail_lands_in_the_mailbox_and_the_call_log_links_it(sandbox, alice_api):
    call = sandbox.start_call(OUTSIDE, ALICE_DIRECT, from_name="Jane Customer")
    sandbox.drive(call["telephonySessionId"], "voicemail", duration_s=12)
    sandbox.advance(12)
    [record] = assert_valid(alice_api.get(CALL_LOG))["records"]
    assert record["result"] == "Voicemail"
    message = record["message"]
    assert message["type"] == "VoiceMail"
    assert message["uri"].endswith(f"/message-store/{message['id']}")
    stored = assert_valid(alice_api.get(message["uri"]))
    assert (stored["type"], stored["direction"], stored["from"]["phoneNumber"]) == (
        "VoiceMail",
        "Inbound",
        OUTSIDE,
    )
    [audio] = [a for a in stored["attachments"] if a["type"] == "AudioRecording"]
    assert audio["vmDuration"] == 12


def test_a_colleagues_voicemail_comes_from_their_direct_number(sandbox, alice_api):
    call = sandbox.start_call("102", "101")
    sandbox.drive(call["telephonySessionId"], "voicemail", duration_s=5)
    sandbox.advance(5)
    record = assert_valid(alice_api.get(CALL_LOG))["records"][0]
    stored = alice_api.get(record["message"]["uri"]).json()
    assert stored["from"]["phoneNumber"] == sandbox.user("102")["phone_numbers"][0]["phone_number"]


def test_recording_content_is_served_on_the_configured_media_host():
    port = free_port()
    server, media_sandbox = start_sandbox(LOG_DIR, "--media-port", str(port))
    try:
        recorded_call(media_sandbox, talk=31)
        token = media_sandbox.jwt_login(media_sandbox.user("101"))["access_token"]
        with media_sandbox.api(token) as api:
            [record] = api.get(CALL_LOG).json()["records"]
        content_uri = record["recording"]["contentUri"]
        assert content_uri.startswith(f"http://127.0.0.1:{port}/restapi/v1.0/account/")
        assert record["recording"]["uri"].startswith(media_sandbox.url)
        audio = httpx.get(content_uri, params={"access_token": token}, timeout=10)
        assert (audio.status_code, audio.headers["content-type"]) == (200, "audio/wav")
    finally:
        media_sandbox.close()
        server.stop()


def test_account_level_record_by_id_and_sync(sandbox, alice_api, supervisor_api):
    call = answered_call(sandbox, talk=1)
    record = assert_valid(alice_api.get(CALL_LOG))["records"][0]
    refused = alice_api.get(f"/restapi/v1.0/account/~/call-log/{record['id']}")
    assert refused.status_code == 403
    by_id = assert_valid(supervisor_api.get(f"/restapi/v1.0/account/~/call-log/{record['id']}"))
    assert (by_id["id"], by_id["sessionId"]) == (record["id"], call["sessionId"])

    sync = assert_valid(
        supervisor_api.get(
            "/restapi/v1.0/account/~/call-log-sync",
            params={"syncType": "FSync", "recordCount": 5},
        )
    )
    assert call["sessionId"] in [r["sessionId"] for r in sync["records"]]
    assert sync["syncInfo"]["syncType"] == "FSync"
