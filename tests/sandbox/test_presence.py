"""Presence: read (one, several, account), update, and the model the voice engine drives."""

import json

from tests.support.openapi import assert_valid, validate_response


def test_presence_of_an_idle_user(alice):
    user, api = alice
    body = assert_valid(
        api.get(
            "/restapi/v1.0/account/~/extension/~/presence",
            params={"detailedTelephonyState": "true"},
        )
    )
    assert body["extension"]["id"] == int(user["extension_id"])
    assert (
        body["presenceStatus"],
        body["telephonyStatus"],
        body["userStatus"],
        body["dndStatus"],
    ) == (
        "Available",
        "NoCall",
        "Available",
        "TakeAllCalls",
    )
    assert body["activeCalls"] == []


def test_update_presence_changes_status_and_records_it(sandbox, alice):
    user, api = alice
    response = api.put(
        "/restapi/v1.0/account/~/extension/~/presence",
        json={"userStatus": "Busy", "dndStatus": "DoNotAcceptAnyCalls", "message": "In a meeting"},
    )
    body = assert_valid(response)
    assert (body["userStatus"], body["dndStatus"], body["presenceStatus"], body["message"]) == (
        "Busy",
        "DoNotAcceptAnyCalls",
        "Busy",
        "In a meeting",
    )
    again = assert_valid(api.get("/restapi/v1.0/account/~/extension/~/presence"))
    assert again["userStatus"] == "Busy"
    [entry] = sandbox.outbox(kind="presence")
    assert entry["extension_id"] == user["extension_id"]
    assert entry["payload"]["userStatus"] == "Busy"


def test_update_presence_refuses_bad_values_and_changes_nothing(sandbox, alice):
    _, api = alice
    response = api.put(
        "/restapi/v1.0/account/~/extension/~/presence", json={"userStatus": "Sleeping"}
    )
    assert response.status_code == 400
    assert assert_valid(response)["errors"][0]["parameterName"] == "userStatus"
    assert (
        api.get("/restapi/v1.0/account/~/extension/~/presence").json()["userStatus"] == "Available"
    )
    assert sandbox.outbox() == []


def test_an_agent_may_not_set_a_colleagues_presence(sandbox, alice):
    _, api = alice
    ben = sandbox.user("102")
    response = api.put(
        f"/restapi/v1.0/account/~/extension/{ben['extension_id']}/presence",
        json={"userStatus": "Offline"},
    )
    assert response.status_code == 403
    assert sandbox.outbox() == []


def test_bulk_presence_answers_207_multipart(sandbox, alice):
    _, api = alice
    ids = [sandbox.user(n)["extension_id"] for n in ("101", "102")] + ["999"]
    response = api.get(f"/restapi/v1.0/account/~/extension/{','.join(ids)}/presence")
    assert response.status_code == 207
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    boundary = response.headers["content-type"].split("boundary=")[1]
    parts = [
        json.loads(chunk.split("\r\n\r\n", 1)[1])
        for chunk in response.text.split(f"--{boundary}")
        if "\r\n\r\n" in chunk
    ]
    assert parts[0] == {"response": [{"status": 200}, {"status": 200}, {"status": 404}]}
    assert [p.get("extension", {}).get("extensionNumber") for p in parts[1:3]] == ["101", "102"]
    assert parts[3]["errors"][0]["errorCode"] == "CMN-102"
    for part, ext_id in zip(parts[1:3], ids, strict=False):
        validate_response("GET", f"/restapi/v1.0/account/~/extension/{ext_id}/presence", 200, part)


def test_bulk_presence_over_30_ids_is_the_documented_error(sandbox, alice):
    """The spec's readUserPresenceStatus: over 30 ids is 400 with the logical code
    `InvalidMultipartRequest` and its message."""
    _, api = alice
    ids = ",".join([sandbox.user("101")["extension_id"]] * 31)
    response = api.get(f"/restapi/v1.0/account/~/extension/{ids}/presence")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "errorCode": "InvalidMultipartRequest",
            "message": "Extension Presence Info multipart request is limited to 30 extensions",
        }
    ]


def test_account_presence_lists_every_extension(sandbox, alice):
    _, api = alice
    body = assert_valid(
        api.get("/restapi/v1.0/account/~/presence", params={"detailedTelephonyState": "true"})
    )
    by_number = {r["extension"]["extensionNumber"]: r for r in body["records"]}
    assert len(by_number) == 9
    assert by_number["101"]["presenceStatus"] == "Available"
    assert by_number["201"] == {
        "uri": by_number["201"]["uri"],
        "extension": by_number["201"]["extension"],
        "presenceStatus": "Offline",
    }
    assert by_number["107"]["presenceStatus"] == "Offline"
