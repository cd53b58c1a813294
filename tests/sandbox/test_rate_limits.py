"""Rate limits per (user, app, group): sliding window, penalty restarted by every request made
during it, headers, the 429 body (CONTRACT §3.4)."""

from tests.support.openapi import assert_valid

HEAVY = "/restapi/v1.0/account/~/phone-number"
LIGHT = "/restapi/v1.0/account/~"


def rate_headers(response) -> tuple:
    h = response.headers
    return (
        h.get("x-rate-limit-group"),
        h.get("x-rate-limit-limit"),
        h.get("x-rate-limit-remaining"),
        h.get("x-rate-limit-window"),
    )


def test_responses_carry_rate_limit_headers(alice_api):
    assert rate_headers(alice_api.get(LIGHT)) == ("light", "50", "49", "60")
    assert rate_headers(alice_api.get(LIGHT)) == ("light", "50", "48", "60")
    assert rate_headers(alice_api.get(HEAVY)) == ("heavy", "10", "9", "60")
    not_found = alice_api.get("/restapi/v1.0/account/~/extension/1")
    assert (not_found.status_code, rate_headers(not_found)) == (404, ("light", "50", "47", "60"))


def test_json_answers_say_their_charset_like_the_platform(sandbox, alice_api):
    """CONTRACT §3.4's verbatim headers: `Content-Type: application/json; charset=UTF-8`, and
    the same on errors (a 404, a 401, an OAuth error)."""
    expected = "application/json; charset=UTF-8"
    assert alice_api.get(LIGHT).headers["content-type"] == expected
    assert alice_api.get("/restapi/v1.0/account/~/extension/1").headers["content-type"] == expected
    assert sandbox.http.get(LIGHT).headers["content-type"] == expected
    refused = sandbox.refresh("not-a-token")
    assert (refused.status_code, refused.headers["content-type"]) == (400, expected)


def test_exceeding_a_group_gets_429_with_retry_after_and_cmn_301(sandbox, alice_api):
    sandbox.config(rate_limits={"Heavy": 3})
    assert [alice_api.get(HEAVY).status_code for _ in range(3)] == [200, 200, 200]
    response = alice_api.get(HEAVY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"
    assert rate_headers(response) == ("heavy", "3", "0", "60")
    assert assert_valid(response) == {
        "errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}]
    }
    assert alice_api.get(LIGHT).status_code == 200


def test_every_request_during_the_penalty_restarts_it(sandbox, alice_api):
    sandbox.config(rate_limits={"Heavy": 1})
    assert alice_api.get(HEAVY).status_code == 200
    assert alice_api.get(HEAVY).status_code == 429
    sandbox.advance(50)
    assert alice_api.get(HEAVY).status_code == 429
    sandbox.advance(50)
    assert alice_api.get(HEAVY).status_code == 429
    sandbox.advance(61)
    assert alice_api.get(HEAVY).status_code == 200


def test_the_window_slides(sandbox, alice_api):
    sandbox.config(rate_limits={"Heavy": 2})
    assert alice_api.get(HEAVY).status_code == 200
    sandbox.advance(40)
    assert alice_api.get(HEAVY).status_code == 200
    sandbox.advance(21)
    assert rate_headers(alice_api.get(HEAVY))[2] == "0"


def test_limits_are_per_user_and_per_app(sandbox, alice_api):
    sandbox.config(rate_limits={"Heavy": 1})
    assert alice_api.get(HEAVY).status_code == 200
    assert alice_api.get(HEAVY).status_code == 429
    ben = sandbox.jwt_login(sandbox.user("102"))
    with sandbox.api(ben["access_token"]) as api:
        assert api.get(HEAVY).status_code == 200
    public = sandbox.login(sandbox.user("101"), public=True)
    with sandbox.api(public["access_token"]) as api:
        assert api.get(HEAVY).status_code == 200


def test_token_endpoint_is_in_the_auth_group_per_user(sandbox):
    alice, ben = sandbox.user("101"), sandbox.user("102")
    data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": alice["jwt"]}
    statuses = [sandbox.token(data).status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert sandbox.jwt_login(ben)["owner_id"] == ben["extension_id"]
    last = sandbox.requests(path_prefix="/restapi/oauth/token")[-2]
    assert (last["status"], last["group"], last["extension_id"]) == (429, "Auth", None)
    assert len(sandbox.sessions(extension_id=alice["extension_id"])) == 5


def test_limits_can_be_scaled_or_switched_off(sandbox, alice_api):
    sandbox.config(rate_limit_multiplier=2.0)
    assert rate_headers(alice_api.get(LIGHT))[1] == "100"
    sandbox.config(rate_limits_enabled=False, rate_limits={"Heavy": 1})
    assert [alice_api.get(HEAVY).status_code for _ in range(5)] == [200] * 5
    assert "x-rate-limit-limit" not in alice_api.get(HEAVY).headers
