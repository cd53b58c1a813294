"""Sign in with RingCentral against the sandbox: the flow, linking, and every way it can fail."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.internal.statekit import STATES_SESSION_KEY
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model
from django.test import Client

from crm.roles import AGENTS
from telephony import crypto
from telephony.models import RingCentralConnection, RingCentralExtension
from telephony.tokens import client_for_user
from tests.factories import agent
from tests.support.ringcentral import (
    authorize_at_sandbox,
    follow_callback,
    sign_in,
    start_sign_in,
)
from tests.support.sandbox import pkce_pair

pytestmark = pytest.mark.django_db
# Real commits, for tests of what happens once a sign-out has committed (the revoke).
committing = pytest.mark.django_db(transaction=True)
User = get_user_model()


def signed_in_user(client: Client):
    return User.objects.get(pk=client.session["_auth_user_id"])


def nothing_stored(users_before: int) -> None:
    assert User.objects.count() == users_before
    assert RingCentralConnection.objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert SocialToken.objects.count() == 0


def test_first_sign_in_creates_the_agent_from_the_extension(ringcentral, client):
    # given a RingCentral user who has never used Callboard
    alice = ringcentral.user("101")
    # when she signs in with RingCentral
    response = sign_in(client, ringcentral, alice)
    # then she lands on the home page as a new agent made from her extension
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert (user.username, user.first_name, user.last_name, user.email) == (
        alice["email"].lower(),
        "Alice",
        "Walker",
        alice["email"],
    )
    assert user.extension_number == "101"
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [AGENTS]
    assert "Welcome, Alice" in client.get("/").content.decode()
    # and she is linked by extension id, with her tokens only in the vault
    account = SocialAccount.objects.get()
    assert (account.user, account.provider, account.uid) == (
        user,
        "ringcentral",
        alice["extension_id"],
    )
    assert SocialToken.objects.count() == 0
    connection = RingCentralConnection.objects.get()
    assert (connection.user, connection.status, connection.extension_id) == (
        user,
        "active",
        alice["extension_id"],
    )
    assert connection.account_id == ringcentral.credentials()["account_id"]
    assert RingCentralExtension.objects.get(rc_id=int(alice["extension_id"])).user == user
    # and the stored connection works
    with client_for_user(user) as rc:
        assert rc.extension_me().id == int(alice["extension_id"])


def test_public_app_signs_in_with_pkce_and_no_client_secret(ringcentral_public, client, settings):
    assert settings.RINGCENTRAL_CLIENT_SECRET == ""
    ben = ringcentral_public.user("102")
    response = sign_in(client, ringcentral_public, ben)
    assert response.status_code == 302
    user = signed_in_user(client)
    assert user.extension_number == "102"
    with client_for_user(user) as rc:
        assert rc.extension_me().extension_number == "102"
    grants = ringcentral_public.requests(path_prefix="/restapi/oauth/token")
    assert [(g["grant_type"], g["status"]) for g in grants] == [("authorization_code", 200)]
    assert grants[0]["client_id"] == ringcentral_public.app(public=True)[0]


def test_later_sign_in_finds_the_user_by_extension_id_not_by_email(ringcentral, client):
    # given Alice signed in once, then an admin changed her e-mail and username
    alice = ringcentral.user("101")
    sign_in(client, ringcentral, alice)
    user = signed_in_user(client)
    User.objects.filter(pk=user.pk).update(username="alice.w", email="alice@elsewhere.example")
    client.post("/logout/")
    # when she signs in again
    sign_in(client, ringcentral, alice)
    # then she is the same user, and no one new was created
    assert signed_in_user(client).pk == user.pk
    assert User.objects.count() == 1
    assert RingCentralConnection.objects.get().status == "active"


def test_a_local_user_with_the_same_email_is_never_taken_over(ringcentral, client):
    # given a local account that happens to have Alice's e-mail
    alice = ringcentral.user("101")
    local = agent(username="alice-local", email=alice["email"])
    # when Alice signs in with RingCentral
    sign_in(client, ringcentral, alice)
    # then she gets a user of her own; the local account is untouched and unlinked
    user = signed_in_user(client)
    assert user.pk != local.pk
    assert not SocialAccount.objects.filter(user=local).exists()
    assert not RingCentralConnection.objects.filter(user=local).exists()


def test_first_sign_in_finds_a_free_username_when_both_usual_ones_are_taken(ringcentral, client):
    # given local users already named after Alice's e-mail and after her extension id
    alice = ringcentral.user("101")
    agent(username=alice["email"].lower())
    agent(username=f"rc{alice['extension_id']}")
    # when Alice signs in for the first time
    response = sign_in(client, ringcentral, alice)
    # then she gets a user of her own with another free name, not an error
    assert response.status_code == 302
    user = signed_in_user(client)
    assert user.username == f"rc{alice['extension_id']}-2"
    assert User.objects.count() == 3


def test_extension_an_admin_linked_beforehand_lands_on_that_user(ringcentral, client):
    # given an admin linked Ben's extension to an existing agent in the directory
    ben = ringcentral.user("102")
    existing = agent(username="ben")
    RingCentralExtension.objects.create(rc_id=int(ben["extension_id"]), user=existing)
    # when Ben signs in for the first time
    sign_in(client, ringcentral, ben)
    # then he is that agent
    assert signed_in_user(client).pk == existing.pk
    assert User.objects.count() == 1
    assert SocialAccount.objects.get().user == existing


def test_sign_in_returns_to_next_but_never_to_another_site(ringcentral):
    alice = ringcentral.user("101")
    inside = sign_in(Client(), ringcentral, alice, next_url="/ringcentral/")
    outside = sign_in(Client(), ringcentral, alice, next_url="https://evil.example/steal")
    scheme_relative = sign_in(Client(), ringcentral, alice, next_url="//evil.example/")
    assert inside["Location"] == "/ringcentral/"
    assert outside["Location"] == "/"
    assert scheme_relative["Location"] == "/"


def test_authorize_request_carries_state_and_an_s256_challenge(ringcentral, client, settings):
    authorize = urlsplit(start_sign_in(client))
    query = parse_qs(authorize.query)
    assert f"{authorize.scheme}://{authorize.netloc}" == settings.RINGCENTRAL_SERVER
    assert authorize.path == "/restapi/oauth/authorize"
    assert sorted(query) == [
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "redirect_uri",
        "response_type",
        "state",
    ]
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/accounts/ringcentral/login/callback/"]
    assert len(query["state"][0]) >= 16
    assert len(query["code_challenge"][0]) == 43


def test_getting_the_login_url_only_offers_a_button(ringcentral, client):
    response = client.get("/accounts/ringcentral/login/")
    assert response.status_code == 200
    assert "Continue to RingCentral" in response.content.decode()
    assert ringcentral.requests(path_prefix="/restapi/oauth") == []


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "HEAD", "PUT", "PATCH", "DELETE"])
def test_sign_in_start_answers_only_get_and_post(ringcentral, client, method):
    # when the sign-in start is asked with another method (OPTIONS and TRACE skip the CSRF check)
    response = client.generic(method, "/accounts/ringcentral/login/")
    # then it is refused, with no redirect to RingCentral and no sign-in begun
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert "Location" not in response
    assert STATES_SESSION_KEY not in client.session
    assert ringcentral.requests(path_prefix="/restapi/oauth") == []


@pytest.mark.parametrize("method", ["POST", "OPTIONS", "TRACE", "HEAD", "PUT", "DELETE"])
def test_sign_in_callback_answers_only_get(ringcentral, client, method):
    callback = authorize_at_sandbox(ringcentral, start_sign_in(client), ringcentral.user("101"))
    parts = urlsplit(callback)
    response = client.generic(method, f"{parts.path}?{parts.query}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert ringcentral.requests(grant_type="authorization_code") == []
    assert "_auth_user_id" not in client.session


def test_state_from_another_browser_is_refused_and_nothing_is_stored(ringcentral):
    # given a sign-in started in one browser and completed at RingCentral
    users_before = User.objects.count()
    starter, victim = Client(), Client()
    callback = authorize_at_sandbox(ringcentral, start_sign_in(starter), ringcentral.user("101"))
    # when the callback is opened in another browser (login CSRF)
    response = follow_callback(victim, callback)
    # then it is refused with a clear page, no tokens were asked for, nothing was stored
    assert response.status_code == 400
    assert "This sign-in was not started here" in response.content.decode()
    assert "Nothing was saved." in response.content.decode()
    assert ringcentral.requests(grant_type="authorization_code") == []
    assert "_auth_user_id" not in victim.session
    nothing_stored(users_before)


def test_tampered_state_is_refused(ringcentral, client):
    users_before = User.objects.count()
    callback = authorize_at_sandbox(ringcentral, start_sign_in(client), ringcentral.user("101"))
    response = follow_callback(client, callback.replace("state=", "state=x"))
    assert response.status_code == 400
    assert "This sign-in was not started here" in response.content.decode()
    nothing_stored(users_before)


def test_replayed_callback_is_refused_and_changes_nothing(ringcentral, client):
    # given Alice signed in
    alice = ringcentral.user("101")
    callback = authorize_at_sandbox(ringcentral, start_sign_in(client), alice)
    follow_callback(client, callback)
    connection = RingCentralConnection.objects.get()
    # when the same callback is replayed
    replay = follow_callback(client, callback)
    # then its state is spent: refused, no token request, connection unchanged
    assert replay.status_code == 400
    assert "This sign-in was not started here" in replay.content.decode()
    assert len(ringcentral.requests(grant_type="authorization_code")) == 1
    assert RingCentralConnection.objects.get().access_token_ciphertext == (
        connection.access_token_ciphertext
    )


def test_replayed_code_with_a_fresh_state_is_refused_by_ringcentral(ringcentral, client):
    # given Alice signed in with a code
    alice = ringcentral.user("101")
    used = authorize_at_sandbox(ringcentral, start_sign_in(client), alice)
    follow_callback(client, used)
    before = RingCentralConnection.objects.get()
    # when an attacker pairs the used code with a state from a new sign-in in that browser
    fresh = urlsplit(start_sign_in(client))
    state = parse_qs(fresh.query)["state"][0]
    code = parse_qs(urlsplit(used).query)["code"][0]
    response = client.get(
        "/accounts/ringcentral/login/callback/?" + urlencode({"code": code, "state": state})
    )
    # then RingCentral refuses the code and nothing changes
    assert response.status_code == 400
    assert "RingCentral refused the sign-in" in response.content.decode()
    after = RingCentralConnection.objects.get()
    assert after.access_token_ciphertext == before.access_token_ciphertext
    assert len(ringcentral.sessions(extension_id=alice["extension_id"])) == 1


def test_wrong_verifier_is_refused_and_nothing_is_stored(ringcentral, client):
    # given the authorize request carried a challenge that is not ours (an injected one)
    users_before = User.objects.count()
    authorize = urlsplit(start_sign_in(client))
    query = parse_qs(authorize.query)
    query["code_challenge"] = [pkce_pair()[1]]
    forged = urlunsplit(authorize._replace(query=urlencode(query, doseq=True)))
    callback = authorize_at_sandbox(ringcentral, forged, ringcentral.user("101"))
    # when the callback arrives, our verifier does not match that challenge
    response = follow_callback(client, callback)
    # then RingCentral refuses the exchange, the page says so, and nothing is stored
    assert response.status_code == 400
    assert "RingCentral refused the sign-in" in response.content.decode()
    assert [r["status"] for r in ringcentral.requests(grant_type="authorization_code")] == [400]
    nothing_stored(users_before)


def test_missing_verifier_stops_before_asking_for_tokens(ringcentral, client):
    # given a sign-in whose stored state lost its PKCE verifier
    users_before = User.objects.count()
    callback = authorize_at_sandbox(ringcentral, start_sign_in(client), ringcentral.user("101"))
    session = client.session
    states = session[STATES_SESSION_KEY]
    for stashed in states.values():
        stashed[0].pop("pkce_code_verifier", None)
    session[STATES_SESSION_KEY] = states
    session.save()
    # when the callback arrives
    response = follow_callback(client, callback)
    # then the code is never exchanged
    assert response.status_code == 400
    assert "This sign-in cannot be verified" in response.content.decode()
    assert ringcentral.requests(grant_type="authorization_code") == []
    nothing_stored(users_before)


def test_denied_consent_says_so_and_stores_nothing(ringcentral, client):
    users_before = User.objects.count()
    callback = authorize_at_sandbox(
        ringcentral, start_sign_in(client), ringcentral.user("101"), deny=True
    )
    response = follow_callback(client, callback)
    assert response.status_code == 403
    assert "You declined access" in response.content.decode()
    nothing_stored(users_before)


@pytest.mark.parametrize(
    ("fault", "status", "says", "attempts"),
    [
        (
            {"kind": "http_error", "status": 503, "count": 2},
            502,
            "RingCentral&#x27;s token service failed",
            [503, 503],
        ),
        (
            {
                "kind": "http_error",
                "status": 500,
                "body": "<html>upstream broke</html>",
                "content_type": "text/html",
                "count": 2,
            },
            502,
            "RingCentral said: &lt;html&gt;upstream broke&lt;/html&gt;",
            [500, 500],
        ),
        ({"kind": "rate_limit", "retry_after": 40}, 429, "Try again in 40 seconds.", [429]),
    ],
    ids=["5xx", "non-json", "429"],
)
def test_token_endpoint_error_ends_on_a_clear_page(
    ringcentral, client, fault, status, says, attempts
):
    users_before = User.objects.count()
    callback = authorize_at_sandbox(ringcentral, start_sign_in(client), ringcentral.user("101"))
    ringcentral.add_fault(path="/restapi/oauth/token", **fault)
    response = follow_callback(client, callback)
    assert response.status_code == status
    assert says in response.content.decode()
    assert "Nothing was saved." in response.content.decode()
    token_calls = ringcentral.requests(path_prefix="/restapi/oauth/token")
    assert [r["status"] for r in token_calls] == attempts
    nothing_stored(users_before)


def test_profile_failure_after_the_tokens_were_granted_ends_that_ringcentral_session(
    ringcentral, client
):
    # given RingCentral grants the tokens but then fails to return the extension
    users_before = User.objects.count()
    alice = ringcentral.user("101")
    callback = authorize_at_sandbox(ringcentral, start_sign_in(client), alice)
    ringcentral.add_fault("http_error", path="/restapi/v1.0/account/~/extension/~", status=503)
    # when the callback arrives
    response = follow_callback(client, callback)
    # then the page says so, nothing is stored, and the session we will never use is revoked
    # (it would otherwise count against RingCentral's few parallel sessions per user)
    assert response.status_code == 502
    assert "Your RingCentral profile could not be read" in response.content.decode()
    nothing_stored(users_before)
    [session] = ringcentral.sessions(extension_id=alice["extension_id"])
    assert session["active"] is False


@committing
def test_a_deactivated_user_is_refused_and_the_new_session_revoked(ringcentral, client):
    # given Alice signed in once, then an admin deactivated her
    alice = ringcentral.user("101")
    sign_in(client, ringcentral, alice)
    user = signed_in_user(client)
    client.post("/logout/")
    User.objects.filter(pk=user.pk).update(is_active=False)
    # when she signs in with RingCentral again
    response = sign_in(client, ringcentral, alice)
    # then she is refused, and neither RingCentral session is left open
    assert response.status_code == 403
    assert "This account is disabled" in response.content.decode()
    assert "_auth_user_id" not in client.session
    sessions = ringcentral.sessions(extension_id=alice["extension_id"])
    assert [s["active"] for s in sessions] == [False, False]


@committing
def test_logout_revokes_the_ringcentral_session_and_ends_ours(ringcentral, client):
    # given Alice signed in
    alice = ringcentral.user("101")
    sign_in(client, ringcentral, alice)
    # when she logs out
    response = client.post("/logout/")
    # then the RingCentral session is gone, our copy of its tokens too, and she is signed out
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    [session] = ringcentral.sessions(extension_id=alice["extension_id"])
    assert session["active"] is False
    connection = RingCentralConnection.objects.get()
    assert connection.status == "signed_out"
    assert connection.access_token_ciphertext == connection.refresh_token_ciphertext == ""
    assert "_auth_user_id" not in client.session


@committing
def test_logout_ignores_a_failed_revoke_and_never_retries_it(ringcentral, client):
    alice = ringcentral.user("101")
    sign_in(client, ringcentral, alice)
    ringcentral.add_fault("http_error", path="/restapi/oauth/revoke", status=503)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert [r["status"] for r in ringcentral.requests(path_prefix="/restapi/oauth/revoke")] == [503]
    assert RingCentralConnection.objects.get().status == "signed_out"
    assert "_auth_user_id" not in client.session


@committing
def test_logout_never_retries_a_revoke_even_when_told_to_retry_at_once(ringcentral, client):
    # given RingCentral answers the revoke with 429 and Retry-After: 0
    sign_in(client, ringcentral, ringcentral.user("101"))
    ringcentral.add_fault("rate_limit", path="/restapi/oauth/revoke", retry_after=0)
    # when she logs out
    response = client.post("/logout/")
    # then the revoke was sent once (RingCentral asks never to repeat it) and she is signed out
    assert response.status_code == 302
    assert [r["status"] for r in ringcentral.requests(path_prefix="/restapi/oauth/revoke")] == [429]
    assert "_auth_user_id" not in client.session


@committing
def test_logout_does_not_wait_long_for_a_slow_revoke(ringcentral, client, monkeypatch):
    # given a RingCentral that takes 5 s to answer the revoke
    monkeypatch.setattr("telephony.tokens.REVOKE_TIMEOUT", 0.5)
    sign_in(client, ringcentral, ringcentral.user("101"))
    ringcentral.add_fault("latency", path="/restapi/oauth/revoke", seconds=5)
    # when she logs out, the page answers after the revoke's short timeout, signed out
    started = time.monotonic()
    response = client.post("/logout/")
    assert time.monotonic() - started < 3
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_logout_by_get_only_asks_and_changes_nothing(ringcentral, client):
    # given Alice signed in
    alice = ringcentral.user("101")
    sign_in(client, ringcentral, alice)
    # when something makes her browser GET /logout/ (a link, a bookmark, another site)
    response = client.get("/logout/")
    # then she is asked, with a CSRF-protected form, and nothing was signed out
    assert response.status_code == 200
    assert b"Log out of Callboard?" in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert "_auth_user_id" in client.session
    assert ringcentral.requests(path_prefix="/restapi/oauth/revoke") == []
    assert RingCentralConnection.objects.get().status == "active"


def test_no_token_text_anywhere_in_the_database_after_sign_in(ringcentral, client):
    from django.db import connection as db

    sign_in(client, ringcentral, ringcentral.user("101"))
    stored = RingCentralConnection.objects.get()
    access = crypto.decrypt(stored.access_token_ciphertext)
    refresh = crypto.decrypt(stored.refresh_token_ciphertext)
    with db.cursor() as cursor:
        for table in (
            "telephony_ringcentralconnection",
            "socialaccount_socialaccount",
            "socialaccount_socialtoken",
            "django_session",
        ):
            cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608 - fixed names
            dump = " ".join(row[0] for row in cursor.fetchall())
            assert access not in dump, table
            assert refresh not in dump, table


def test_without_a_configured_app_the_sign_in_page_says_so(settings, client):
    settings.RINGCENTRAL_CLIENT_ID = ""
    login_page = client.get("/login/").content.decode()
    response = client.post("/accounts/ringcentral/login/")
    assert "Sign in with RingCentral" not in login_page
    assert response.status_code == 503
    assert "Sign in with RingCentral is not set up" in response.content.decode()


def test_deleting_a_connection_in_admin_ends_its_ringcentral_session(
    ringcentral, client, django_capture_on_commit_callbacks
):
    # given Alice signed in with RingCentral
    alice = ringcentral.user("101")
    sign_in(client, ringcentral, alice)
    connection = RingCentralConnection.objects.get()
    # when an admin deletes her connection in Django admin
    admin = Client()
    admin.force_login(
        get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/telephony/ringcentralconnection/{connection.pk}/delete/", {"post": "yes"}
        )
    # then the row is gone and so is the RingCentral session it held
    assert response.status_code == 302
    assert not RingCentralConnection.objects.exists()
    [session] = ringcentral.sessions(extension_id=alice["extension_id"])
    assert session["active"] is False
