"""The control API: credentials, reset, request log, sessions, config and the clock."""

from tests.support.openapi import assert_valid


def test_credentials_describe_the_seeded_account(sandbox):
    creds = sandbox.credentials()
    assert creds["server"] == sandbox.url
    assert creds["media_server"] == sandbox.url
    assert creds["client_id"] and creds["client_secret"] and creds["public_client_id"]
    assert creds["redirect_uris"] == [
        "http://127.0.0.1:8000/accounts/ringcentral/login/callback/",
        "http://localhost:8000/accounts/ringcentral/login/callback/",
    ]
    roles = [u["role"] for u in creds["users"]]
    assert roles == ["agent", "agent", "agent", "agent", "supervisor", "admin"]
    assert [u["extension_number"] for u in creds["users"]] == [
        "101",
        "102",
        "103",
        "104",
        "105",
        "106",
    ]
    for user in creds["users"]:
        assert user["password"] and user["jwt"] and user["email"].endswith("@callboard.example")
    no_sms = [
        u["name"] for u in creds["users"] if "SmsSender" not in u["phone_numbers"][0]["features"]
    ]
    assert no_sms == ["Daniel Evans"]
    assert {n["usage_type"] for n in creds["company_numbers"]} == {
        "MainCompanyNumber",
        "CompanyNumber",
    }
    types = {e["type"] for e in creds["extensions"]}
    assert types == {"User", "Department", "IvrMenu"}


def test_reset_gives_the_same_account_and_forgets_everything_else(sandbox):
    before = sandbox.credentials()
    sandbox.config(access_token_ttl=77)
    sandbox.jwt_login(sandbox.user("101"))
    sandbox.reset()
    assert sandbox.credentials() == before
    assert sandbox.sessions() == []
    assert sandbox.requests() == []
    assert sandbox.config()["access_token_ttl"] == 3600


def test_reset_can_keep_the_run_time_config(sandbox):
    sandbox.config(access_token_ttl=77)
    sandbox.add_redirect_uri("http://127.0.0.1:5555/cb/")
    sandbox.reset(keep_config=True)
    assert sandbox.config()["access_token_ttl"] == 77
    assert "http://127.0.0.1:5555/cb/" in sandbox.credentials()["redirect_uris"]


def test_reset_refuses_an_unknown_seed(sandbox):
    response = sandbox.http.post("/sandbox/v1/reset", json={"seed": "nope"})
    assert response.status_code == 400
    assert "unknown seed" in response.json()["error"]


def test_request_log_filters_and_counts_exactly(sandbox):
    tokens = sandbox.jwt_login(sandbox.user("101"))
    mark = sandbox.mark()
    for _ in range(3):
        sandbox.refresh(tokens["refresh_token"])
    with sandbox.api(tokens["access_token"]) as api:
        api.get("/restapi/v1.0/account/~", params={"x": "1"})
    refreshes = sandbox.requests(
        since=mark, path_prefix="/restapi/oauth/token", grant_type="refresh_token"
    )
    assert [(r["status"], r["extra"]["replayed"]) for r in refreshes] == [
        (200, False),
        (200, True),
        (200, True),
    ]
    assert all(r["client_id"] == sandbox.credentials()["client_id"] for r in refreshes)
    [account_call] = sandbox.requests(since=mark, method="GET")
    assert (
        account_call["path"],
        account_call["query"],
        account_call["status"],
        account_call["group"],
    ) == (
        "/restapi/v1.0/account/~",
        {"x": ["1"]},
        401,
        "Light",
    )


def test_config_patch_validates_every_field(sandbox):
    for bad in (
        {"nope": 1},
        {"access_token_ttl": "x"},
        {"rate_limits": {"Ultra": 3}},
        {"strict_refresh": 1},
    ):
        response = sandbox.http.patch("/sandbox/v1/config", json=bad)
        assert response.status_code == 400, bad
    assert sandbox.config()["access_token_ttl"] == 3600
    updated = sandbox.config(rate_limits={"Light": 7}, strict_refresh=True)
    assert updated["rate_limits"] == {"Light": 7, "Medium": 40, "Heavy": 10, "Auth": 5}
    assert updated["strict_refresh"] is True


def test_clock_moves_forward_only(sandbox):
    before = sandbox.http.get("/sandbox/v1/clock").json()
    after = sandbox.advance(3600)
    assert after["offset_s"] == before["offset_s"] + 3600
    assert sandbox.http.post("/sandbox/v1/clock", json={"advance_s": -1}).status_code == 400


def test_control_api_is_not_rate_limited_or_logged(sandbox):
    sandbox.config(rate_limits={"Light": 1})
    for _ in range(5):
        assert sandbox.http.get("/sandbox/v1/status").status_code == 200
    assert sandbox.requests() == []


def test_sessions_show_logout(sandbox):
    tokens = sandbox.login(sandbox.user("101"))
    assert [s["active"] for s in sandbox.sessions()] == [True]
    sandbox.http.post(
        "/restapi/oauth/revoke",
        data={"token": tokens["access_token"]},
        headers=sandbox.basic_auth(),
    )
    [session] = sandbox.sessions()
    assert (session["session_id"], session["active"]) == (tokens["session_id"], False)
    with sandbox.api(tokens["access_token"]) as api:
        response = api.get("/restapi/v1.0/account/~")
    assert response.status_code == 401
    assert assert_valid(response)["errors"][0]["errorCode"] == "OAU-211"


def test_a_fault_kind_of_the_wrong_type_is_a_400_naming_the_field(sandbox):
    response = sandbox.http.post("/sandbox/v1/faults", json={"kind": []})
    assert response.status_code == 400
    assert response.json() == {"error": "kind is required: a fault kind or a one-shot action"}
    assert sandbox.faults() == []


def test_json_numbers_that_overflow_are_refused_as_unparsable(sandbox):
    response = sandbox.http.post(
        "/sandbox/v1/clock", content=b'{"advance_s": 1e999}', headers={"Content-Type": "x"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "the body is not JSON"}
    assert sandbox.http.get("/sandbox/v1/clock").json()["offset_s"] == 0


def test_the_clock_moves_at_most_ten_years_a_step(sandbox):
    response = sandbox.http.post("/sandbox/v1/clock", json={"advance_s": 10**12})
    assert response.status_code == 400
    assert "advance_s must be a number from 0 to" in response.json()["error"]
