"""The published RingCentral Python SDK (`ringcentral` 0.9.2 from PyPI), unchanged, pointed at
the sandbox's URL: JWT and authorization-code logins, the password grant refused as RingCentral
refuses it, reads, SMS/MMS/fax (JSON and the SDK's multipart builder), recordings, a webhook
subscription, refresh and logout. Every JSON answer is checked against the spec."""

import warnings

import pytest
from ringcentral import SDK
from ringcentral.http.api_exception import ApiException

from sandbox.core.media import png_image
from tests.sandbox.messaging import PNG
from tests.support.openapi import validate_response

ME = "/restapi/v1.0/account/~/extension/~"


def valid(response):
    """The SDK's ApiResponse, validated against the spec; returns its JSON."""
    raw = response.response()
    body = response.json_dict()
    validate_response(raw.request.method, raw.request.url, raw.status_code, body)
    return body


@pytest.fixture
def demo(sandbox):
    sandbox.reset(seed="demo")
    sandbox.config(rate_limits_enabled=False)
    return sandbox


@pytest.fixture
def sdk(demo):
    creds = demo.credentials()
    return SDK(creds["client_id"], creds["client_secret"], creds["server"], "Callboard", "1.0")


@pytest.fixture
def alice(demo, sdk):
    user = demo.user("101")
    sdk.platform().login(jwt=user["jwt"])
    return user


def test_jwt_login_then_extension_and_phone_numbers(demo, sdk):
    platform = sdk.platform()
    user = demo.user("101")
    token = valid(platform.login(jwt=user["jwt"]))
    assert (token["owner_id"], token["token_type"]) == (user["extension_id"], "bearer")
    assert platform.logged_in() is True
    me = valid(platform.get(ME))
    assert (str(me["id"]), me["extensionNumber"], me["name"]) == (
        user["extension_id"],
        "101",
        "Alice Walker",
    )
    numbers = valid(platform.get("/account/~/extension/~/phone-number"))["records"]
    assert [(n["phoneNumber"], n["features"]) for n in numbers] == [
        ("+16505550101", ["CallerId", "SmsSender", "MmsSender"])
    ]


def test_authorization_code_login_with_pkce(demo, sdk):
    grant = demo.authorize(demo.user("supervisor"))
    platform = sdk.platform()
    token = valid(
        platform.login(
            code=grant["code"], redirect_uri=grant["redirect_uri"], verifier=grant["verifier"]
        )
    )
    assert token["owner_id"] == demo.user("supervisor")["extension_id"]
    assert valid(platform.get(ME))["extensionNumber"] == "105"


def test_password_grant_is_refused_as_ringcentral_refuses_it(demo, sdk):
    """The SDK still offers the password flow; the platform no longer does (the spec's token
    request has no `password` grant), and an app without it gets OAU-112."""
    user = demo.user("101")
    with warnings.catch_warnings(), pytest.raises(ApiException) as refused:
        warnings.simplefilter("ignore", UserWarning)
        sdk.platform().login(username=user["email"], password=user["password"])
    response = refused.value.api_response().response()
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert response.json()["errors"][0]["errorCode"] == "OAU-112"


def test_call_log_and_recording_content(alice, sdk):
    platform = sdk.platform()
    log = valid(
        platform.get(
            "/restapi/v1.0/account/~/extension/~/call-log",
            {"dateFrom": "2020-01-01T00:00:00Z", "perPage": 1000, "view": "Detailed"},
        )
    )
    assert len(log["records"]) >= 20
    recorded = next(r for r in log["records"] if "recording" in r)
    audio = platform.get(recorded["recording"]["contentUri"]).response()
    assert (audio.status_code, audio.headers["Content-Type"], audio.content[:4]) == (
        200,
        "audio/wav",
        b"RIFF",
    )


def test_send_sms_mms_and_fax(alice, sdk, demo):
    platform = sdk.platform()
    sms = valid(
        platform.post(
            "/restapi/v1.0/account/~/extension/~/sms",
            {
                "from": {"phoneNumber": "+16505550101"},
                "to": [{"phoneNumber": "+14155550123"}],
                "text": "Sent with the SDK",
            },
        )
    )
    assert (sms["type"], sms["messageStatus"], sms["subject"]) == (
        "SMS",
        "Queued",
        "Sent with the SDK",
    )
    mms = sdk.create_multipart_builder()
    mms.set_body({"from": {"phoneNumber": "+16505550101"}, "to": [{"phoneNumber": "+14155550123"}]})
    mms.add(("photo.png", png_image(32, 24, seed=1), "image/png"))
    sent = valid(platform.send_request(mms.request("/restapi/v1.0/account/~/extension/~/mms")))
    assert [a["contentType"] for a in sent["attachments"]] == ["image/png"]
    fax = sdk.create_multipart_builder()
    fax.set_body({"to": [{"phoneNumber": "+14155550123"}], "faxResolution": "High"})
    fax.add(("note.txt", "Please sign page 2.", "text/plain"))
    fax.add(("logo.png", PNG, "image/png"))
    fax.set_multipart_mixed(True)
    faxed = valid(platform.send_request(fax.request("/restapi/v1.0/account/~/extension/~/fax")))
    assert (faxed["type"], faxed["messageStatus"], faxed["faxResolution"]) == (
        "Fax",
        "Queued",
        "High",
    )
    assert [e["kind"] for e in demo.outbox()] == ["sms", "mms", "fax"]


def test_webhook_subscription_created_with_the_sdk_delivers(alice, sdk, webhook_receiver):
    platform = sdk.platform()
    created = valid(
        platform.post(
            "/restapi/v1.0/subscription",
            {
                "eventFilters": [f"{ME}/presence?detailedTelephonyState=true"],
                "deliveryMode": {"transportType": "WebHook", "address": webhook_receiver.url},
            },
        )
    )
    assert created["status"] == "Active"
    platform.put(f"{ME}/presence", {"userStatus": "Busy"})
    [note] = webhook_receiver.wait_for(1)
    assert (note.json["subscriptionId"], note.json["body"]["userStatus"]) == (
        created["id"],
        "Busy",
    )
    assert platform.delete(f"/restapi/v1.0/subscription/{created['id']}").response().ok


def test_refresh_then_logout_revokes_the_session(alice, sdk, demo):
    platform = sdk.platform()
    before = platform.auth().data()
    valid(platform.refresh())
    after = platform.auth().data()
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert valid(platform.get(ME))["extensionNumber"] == "101"
    token = after["access_token"]
    assert platform.logout().response().status_code == 200
    assert platform.auth().access_token() == ""
    with demo.api(token) as api:
        revoked = api.get(ME)
    assert (revoked.status_code, revoked.json()["errors"][0]["errorCode"]) == (401, "OAU-211")
