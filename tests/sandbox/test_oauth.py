"""OAuth against the sandbox: authorization code + PKCE, JWT bearer, refresh rotation with the
grace window, revocation, and the 401/400 bodies (CONTRACT §2, §3.3, §13)."""

import pytest

from tests.support.openapi import assert_valid
from tests.support.sandbox import DEFAULT_REDIRECT

OAUTH_EXTRA = {"error_description"}


def authorize(sandbox, *, public: bool = False, **params: str):
    """GET /restapi/oauth/authorize for the confidential (or public) app; `params` override."""
    query = {
        "response_type": "code",
        "client_id": sandbox.app(public)[0],
        "redirect_uri": DEFAULT_REDIRECT,
        **params,
    }
    return sandbox.http.get("/restapi/oauth/authorize", params=query)


def oauth_error(response, status: int, error: str, code: str) -> dict:
    assert response.status_code == status, response.text
    body = assert_valid(response, allowed_extra=OAUTH_EXTRA)
    assert body["error"] == error
    assert body["errors"][0]["errorCode"] == code
    assert body["error_description"] == body["errors"][0]["message"]
    return body


def api_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = assert_valid(response)
    assert [e["errorCode"] for e in body["errors"]] == [code]
    return body


def test_authorization_code_with_s256_pkce_returns_token_info(sandbox):
    alice = sandbox.user("101")
    grant = sandbox.authorize(alice, state="xyz-1")
    assert grant["state"] == "xyz-1"
    assert grant["expires_in"] == "60"
    response = sandbox.exchange(grant)
    tokens = assert_valid(response)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert tokens["token_type"] == "bearer"
    assert tokens["owner_id"] == alice["extension_id"]
    assert tokens["expires_in"] in (3599, 3600)
    assert tokens["refresh_token_expires_in"] in (604799, 604800)
    assert "ReadPresence" in tokens["scope"].split()
    sessions = sandbox.sessions(extension_id=alice["extension_id"])
    assert [s["session_id"] for s in sessions] == [tokens["session_id"]]
    assert sessions[0]["grant_type"] == "authorization_code"
    with sandbox.api(tokens["access_token"]) as api:
        me = api.get("/restapi/v1.0/account/~/extension/~")
    assert me.status_code == 200
    assert me.json()["id"] == int(alice["extension_id"])


def test_plain_pkce_is_assumed_when_the_method_is_omitted(sandbox):
    verifier = "plain-verifier-0123456789-0123456789-0123456789"
    first = authorize(sandbox, public=True, code_challenge=verifier)
    assert first.status_code == 302
    alice = sandbox.user("101")
    request_id = first.headers["location"].split("request=")[1]
    login = sandbox.http.post(
        "/sandbox/login",
        data={
            "request": request_id,
            "username": "101",
            "password": alice["password"],
            "action": "allow",
        },
    )
    code = login.headers["location"].split("code=")[1].split("&")[0]
    response = sandbox.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": DEFAULT_REDIRECT,
            "code_verifier": verifier,
        },
        public=True,
    )
    assert response.status_code == 200, response.text
    assert_valid(response)


def test_wrong_code_verifier_is_refused_and_no_session_starts(sandbox):
    grant = sandbox.authorize(sandbox.user("101"))
    response = sandbox.exchange({**grant, "verifier": "not-the-verifier-" + "x" * 30})
    oauth_error(response, 400, "invalid_grant", "OAU-106")
    assert sandbox.sessions() == []


# The verifier/challenge pair from RingCentral's PKCE guide (CONTRACT §2.1).
DOC_VERIFIER = "pIUgx4tiqFpaOUz0HMc_QbIyQlL901w8mRmkrmhEJ_E"
DOC_CHALLENGE = "_drLS7o5FwkfUiBhlq2hwJnK_SC6yE7sKOde5O1fdzk"


def login_code(sandbox, first) -> str:
    """Sign Alice in on the login page an authorize redirect led to; the code it returns."""
    assert first.status_code == 302, first.text
    request_id = first.headers["location"].split("request=")[1]
    login = sandbox.http.post(
        "/sandbox/login",
        data={
            "request": request_id,
            "username": "101",
            "password": sandbox.user("101")["password"],
            "action": "allow",
        },
    )
    return login.headers["location"].split("code=")[1].split("&")[0]


def exchange_code(sandbox, code: str, verifier: str):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": DEFAULT_REDIRECT,
        "code_verifier": verifier,
    }
    return sandbox.token(data, public=True)


def test_the_documented_s256_pair_is_accepted(sandbox):
    first = authorize(
        sandbox, public=True, code_challenge=DOC_CHALLENGE, code_challenge_method="S256"
    )
    response = exchange_code(sandbox, login_code(sandbox, first), DOC_VERIFIER)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "challenge"),
    [
        ("S256", DOC_CHALLENGE[:-1]),  # 42 characters
        ("S256", DOC_CHALLENGE + "A"),  # 44: not a SHA-256 digest
        ("S256", "+" + DOC_CHALLENGE[1:]),  # base64, not base64url
        ("S256", DOC_CHALLENGE[:-1] + "="),  # padded
        ("plain", "x" * 42),
        ("plain", "x" * 129),
        ("plain", "x" * 42 + "!"),
        ("plain", "x" * 42 + " "),
    ],
)
def test_a_malformed_code_challenge_redirects_back_with_invalid_request(sandbox, method, challenge):
    response = authorize(
        sandbox,
        public=True,
        state="st-7",
        code_challenge=challenge,
        code_challenge_method=method,
    )
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(DEFAULT_REDIRECT + "?error=invalid_request&error_description=")
    assert "code_challenge+must+be" in location
    assert location.endswith("&state=st-7")


def test_a_malformed_code_challenge_with_an_unregistered_redirect_uri_is_not_redirected(sandbox):
    response = authorize(sandbox, redirect_uri="http://evil.example/cb", code_challenge="short")
    assert "location" not in response.headers
    oauth_error(response, 400, "invalid_request", "OAU-109")


def test_a_plain_challenge_of_128_characters_is_accepted(sandbox):
    verifier = "aZ09-._~" * 16
    first = authorize(sandbox, public=True, code_challenge=verifier, code_challenge_method="plain")
    response = exchange_code(sandbox, login_code(sandbox, first), verifier)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "verifier",
    [DOC_VERIFIER[:-1], DOC_VERIFIER + "x" * 86, DOC_VERIFIER[:-1] + "+", DOC_VERIFIER + "é"],
)
def test_a_malformed_code_verifier_is_invalid_request_and_keeps_the_code(sandbox, verifier):
    first = authorize(
        sandbox, public=True, code_challenge=DOC_CHALLENGE, code_challenge_method="S256"
    )
    code = login_code(sandbox, first)
    response = exchange_code(sandbox, code, verifier)
    body = oauth_error(response, 400, "invalid_request", "CMN-101")
    assert body["errors"][0]["parameterName"] == "code_verifier"
    assert body["error_description"] == "Parameter [code_verifier] value is invalid."
    assert sandbox.sessions() == []
    assert exchange_code(sandbox, code, DOC_VERIFIER).status_code == 200


def test_missing_code_verifier_is_refused_when_a_challenge_was_sent(sandbox):
    grant = sandbox.authorize(sandbox.user("101"))
    response = sandbox.exchange({**grant, "verifier": None})
    oauth_error(response, 400, "invalid_grant", "OAU-106")


def test_authorization_code_is_single_use(sandbox):
    grant = sandbox.authorize(sandbox.user("101"))
    assert sandbox.exchange(grant).status_code == 200
    replay = sandbox.exchange(grant)
    oauth_error(replay, 400, "invalid_grant", "OAU-106")
    assert len(sandbox.sessions()) == 1


def test_authorization_code_expires_after_60_seconds(sandbox):
    grant = sandbox.authorize(sandbox.user("101"))
    sandbox.advance(61)
    oauth_error(sandbox.exchange(grant), 400, "invalid_grant", "OAU-108")
    assert sandbox.sessions() == []


def test_unregistered_redirect_uri_is_refused_without_redirecting(sandbox):
    response = authorize(sandbox, redirect_uri="http://evil.example/cb")
    assert "location" not in response.headers
    oauth_error(response, 400, "invalid_request", "OAU-109")


def test_token_exchange_with_another_redirect_uri_is_refused(sandbox):
    sandbox.add_redirect_uri("http://127.0.0.1:9999/cb/")
    grant = sandbox.authorize(sandbox.user("101"))
    response = sandbox.exchange({**grant, "redirect_uri": "http://127.0.0.1:9999/cb/"})
    oauth_error(response, 400, "invalid_grant", "OAU-109")


def test_redirect_uri_added_at_run_time_is_accepted(sandbox):
    sandbox.add_redirect_uri("http://127.0.0.1:45678/accounts/ringcentral/login/callback/")
    grant = sandbox.authorize(
        sandbox.user("101"),
        redirect_uri="http://127.0.0.1:45678/accounts/ringcentral/login/callback/",
    )
    assert sandbox.exchange(grant).status_code == 200


def test_deny_redirects_back_with_access_denied_and_the_state(sandbox):
    grant = sandbox.authorize(None, deny=True, state="s-9")
    assert grant["error"] == "access_denied"
    assert grant["state"] == "s-9"
    assert "code" not in grant


def test_unsupported_response_type_redirects_back_with_the_error(sandbox):
    response = authorize(sandbox, response_type="token", state="a")
    assert response.status_code == 302
    assert response.headers["location"].startswith(
        DEFAULT_REDIRECT + "?error=unsupported_response_type"
    )
    assert response.headers["location"].endswith("&state=a")


def test_public_client_must_send_a_code_challenge(sandbox):
    response = authorize(sandbox, public=True)
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["location"]


def test_public_client_authenticates_with_client_id_in_the_body(sandbox):
    tokens = sandbox.login(sandbox.user("102"), public=True)
    assert tokens["owner_id"] == sandbox.user("102")["extension_id"]


def test_public_client_sending_basic_without_secret_is_refused(sandbox):
    grant = sandbox.authorize(sandbox.user("101"), public=True)
    client_id, _ = sandbox.app(public=True)
    import base64

    basic = base64.b64encode(f"{client_id}:".encode()).decode()
    response = sandbox.http.post(
        "/restapi/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": grant["redirect_uri"],
            "code_verifier": grant["verifier"],
            "client_id": client_id,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    oauth_error(response, 401, "invalid_client", "OAU-146")
    assert sandbox.sessions() == []


@pytest.mark.parametrize("how", ["wrong secret", "client id in the body only"])
def test_confidential_client_needs_its_secret_over_basic(sandbox, how):
    grant = sandbox.authorize(sandbox.user("101"))
    client_id, secret = sandbox.app()
    data = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": grant["redirect_uri"],
        "code_verifier": grant["verifier"],
    }
    if how == "wrong secret":
        response = sandbox.http.post(
            "/restapi/oauth/token", data=data, auth=(client_id, secret + "x")
        )
    else:
        response = sandbox.http.post("/restapi/oauth/token", data={**data, "client_id": client_id})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert sandbox.sessions() == []


def test_jwt_bearer_grant_issues_tokens_for_the_credential_owner(sandbox):
    sofia = sandbox.user("supervisor")
    tokens = sandbox.jwt_login(sofia)
    assert tokens["owner_id"] == sofia["extension_id"]
    assert sandbox.sessions()[0]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_jwt_bearer_grant_refuses_a_forged_assertion(sandbox):
    alice = sandbox.user("101")
    head, payload, _sig = alice["jwt"].split(".")
    response = sandbox.token(
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": f"{head}.{payload}.AAAA",
        }
    )
    oauth_error(response, 400, "invalid_grant", "OAU-140")


def test_public_client_may_not_use_the_jwt_grant(sandbox):
    response = sandbox.token(
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": sandbox.user("101")["jwt"],
        },
        public=True,
    )
    oauth_error(response, 400, "unauthorized_client", "OAU-112")


def test_token_endpoint_wants_a_form_body(sandbox):
    response = sandbox.http.post(
        "/restapi/oauth/token", json={"grant_type": "refresh_token"}, headers=sandbox.basic_auth()
    )
    assert response.status_code == 415


@pytest.mark.parametrize(("asked", "granted"), [("900", 900), ("100", 600), ("99999", 3600)])
def test_access_token_ttl_is_honoured_within_the_spec_bounds(sandbox, asked, granted):
    tokens = sandbox.jwt_login(sandbox.user("101"), access_token_ttl=asked)
    assert tokens["expires_in"] in (granted - 1, granted)


def test_refresh_rotates_and_the_old_access_token_fails_at_once(sandbox):
    first = sandbox.jwt_login(sandbox.user("101"))
    response = sandbox.refresh(first["refresh_token"])
    second = assert_valid(response)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_id"] == first["session_id"]
    with sandbox.api(first["access_token"]) as old, sandbox.api(second["access_token"]) as new:
        api_error(old.get("/restapi/v1.0/account/~"), 401, "OAU-129")
        assert new.get("/restapi/v1.0/account/~").status_code == 200
        sandbox.advance(11)
        api_error(old.get("/restapi/v1.0/account/~"), 401, "OAU-213")


def test_old_refresh_token_replays_the_same_pair_until_10s_after_the_new_one_is_used(sandbox):
    first = sandbox.jwt_login(sandbox.user("101"))
    second = sandbox.refresh(first["refresh_token"]).json()
    with sandbox.api(second["access_token"]) as api:
        assert api.get("/restapi/v1.0/account/~").status_code == 200
    replay = sandbox.refresh(first["refresh_token"]).json()
    assert (replay["access_token"], replay["refresh_token"]) == (
        second["access_token"],
        second["refresh_token"],
    )
    sandbox.advance(11)
    oauth_error(sandbox.refresh(first["refresh_token"]), 400, "invalid_grant", "OAU-213")
    logged = sandbox.requests(path_prefix="/restapi/oauth/token", grant_type="refresh_token")
    assert [(r["status"], r["extra"].get("replayed")) for r in logged] == [
        (200, False),
        (200, True),
        (400, None),
    ]
    assert sandbox.sessions()[0]["refresh_count"] == 1


def test_old_refresh_token_replays_for_up_to_60_minutes_while_the_new_one_is_unused(sandbox):
    first = sandbox.jwt_login(sandbox.user("101"))
    second = sandbox.refresh(first["refresh_token"]).json()
    sandbox.advance(3590)
    assert sandbox.refresh(first["refresh_token"]).json()["access_token"] == second["access_token"]
    sandbox.advance(20)
    oauth_error(sandbox.refresh(first["refresh_token"]), 400, "invalid_grant", "OAU-213")
    assert sandbox.refresh(second["refresh_token"]).status_code == 200


def test_strict_mode_refuses_a_rotated_refresh_token_at_once(sandbox):
    sandbox.config(strict_refresh=True)
    first = sandbox.jwt_login(sandbox.user("101"))
    assert sandbox.refresh(first["refresh_token"]).status_code == 200
    oauth_error(sandbox.refresh(first["refresh_token"]), 400, "invalid_grant", "OAU-213")


def test_unknown_refresh_token_is_an_invalid_grant(sandbox):
    oauth_error(sandbox.refresh("SBXr1" + "A" * 43), 400, "invalid_grant", "OAU-213")


def test_revoke_ends_the_whole_session(sandbox):
    tokens = sandbox.jwt_login(sandbox.user("101"))
    response = sandbox.http.post(
        "/restapi/oauth/revoke",
        data={"token": tokens["refresh_token"]},
        headers=sandbox.basic_auth(),
    )
    assert response.status_code == 200
    assert response.content == b""
    with sandbox.api(tokens["access_token"]) as api:
        api_error(api.get("/restapi/v1.0/account/~"), 401, "OAU-211")
    oauth_error(sandbox.refresh(tokens["refresh_token"]), 400, "invalid_grant", "OAU-211")
    [session] = sandbox.sessions()
    assert (session["active"], session["revoke_reason"]) == (False, "revoked")
    assert sandbox.sessions(active="true") == []


def test_access_token_expires_after_its_ttl(sandbox):
    tokens = sandbox.jwt_login(sandbox.user("101"))
    sandbox.advance(3601)
    with sandbox.api(tokens["access_token"]) as api:
        api_error(api.get("/restapi/v1.0/account/~"), 401, "OAU-128")
    assert sandbox.refresh(tokens["refresh_token"]).status_code == 200


def test_configured_access_token_ttl_applies_to_new_sessions(sandbox):
    sandbox.config(access_token_ttl=5)
    tokens = sandbox.jwt_login(sandbox.user("101"))
    assert tokens["expires_in"] in (4, 5)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "OAU-123"),
        ("Basic abc", "OAU-134"),
        ("Bearer not-a-token", "OAU-149"),
        ("Bearer SBXa1" + "B" * 43, "OAU-213"),
    ],
)
def test_bad_or_missing_bearer_tokens_get_the_documented_401(sandbox, header, code):
    headers = {"Authorization": header} if header else {}
    response = sandbox.http.get("/restapi/v1.0/account/~/extension/~", headers=headers)
    body = api_error(response, 401, code)
    assert body["errors"][0]["message"]


def test_login_page_refuses_a_wrong_password(sandbox):
    first = authorize(sandbox)
    page = sandbox.http.get(first.headers["location"])
    assert page.status_code == 200
    assert "Alice Walker" in page.text
    request_id = first.headers["location"].split("request=")[1]
    response = sandbox.http.post(
        "/sandbox/login",
        data={"request": request_id, "username": "101", "password": "nope", "action": "allow"},
    )
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert sandbox.sessions() == []


def test_disabled_and_non_user_extensions_cannot_log_in(sandbox):
    first = authorize(sandbox)
    request_id = first.headers["location"].split("request=")[1]
    for username in ("riley.brooks@callboard.example", "201"):
        response = sandbox.http.post(
            "/sandbox/login",
            data={"request": request_id, "username": username, "password": "x", "action": "allow"},
        )
        assert response.status_code == 401
