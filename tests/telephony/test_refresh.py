"""The vault against the sandbox: proactive refresh under a row lock, concurrent askers,
refused refreshes (needs_reauth), expired access tokens, the JWT account connection."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone
from websockets.sync.client import connect

from telephony import crypto
from telephony.models import RingCentralConnection
from telephony.tokens import (
    ConnectionNeedsSignIn,
    access_token_get,
    account_connection_get,
    client_for_account,
    client_for_user,
)
from tests.support.ringcentral import in_a_worker_thread, sign_in

REFRESH = {"path_prefix": "/restapi/oauth/token", "grant_type": "refresh_token"}


def signed_in(sandbox, number: str = "101") -> RingCentralConnection:
    client = Client()
    sign_in(client, sandbox, sandbox.user(number))
    return RingCentralConnection.objects.get(extension_id=sandbox.user(number)["extension_id"])


def expire_locally(connection: RingCentralConnection, *, in_seconds: float = -1) -> None:
    """Move our copy of the access token's one-hour life so it ends `in_seconds` from now
    (RingCentral still accepts the token)."""
    expires = timezone.now() + timedelta(seconds=in_seconds)
    RingCentralConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=expires, access_token_issued_at=expires - timedelta(hours=1)
    )


def stored_tokens(connection: RingCentralConnection) -> tuple[str, str]:
    connection.refresh_from_db()
    return (
        crypto.decrypt(connection.access_token_ciphertext),
        crypto.decrypt(connection.refresh_token_ciphertext),
    )


def works_at_sandbox(sandbox, token: str) -> bool:
    with sandbox.api(token) as api:
        return api.get("/restapi/v1.0/account/~/extension/~").status_code == 200


@pytest.mark.django_db
def test_fresh_token_is_used_without_refreshing(ringcentral):
    connection = signed_in(ringcentral)
    access, _ = stored_tokens(connection)
    assert access_token_get(connection_id=connection.pk) == access
    assert ringcentral.requests(**REFRESH) == []


@pytest.mark.django_db
def test_token_inside_the_margin_is_refreshed_and_the_rotated_pair_saved(ringcentral, settings):
    # given a connection whose access token expires within the refresh margin
    settings.RINGCENTRAL_REFRESH_MARGIN = 300
    connection = signed_in(ringcentral)
    old_access, old_refresh = stored_tokens(connection)
    expire_locally(connection, in_seconds=60)
    # when a token is asked for
    token = access_token_get(connection_id=connection.pk)
    # then exactly one refresh happened and both rotated tokens were saved
    assert [r["status"] for r in ringcentral.requests(**REFRESH)] == [200]
    new_access, new_refresh = stored_tokens(connection)
    assert token == new_access != old_access
    assert new_refresh != old_refresh
    assert works_at_sandbox(ringcentral, token)
    assert not works_at_sandbox(ringcentral, old_access)
    connection.refresh_from_db()
    assert connection.access_token_expires_at > timezone.now() + timedelta(seconds=3000)
    assert connection.last_refreshed_at is not None


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_askers_make_exactly_one_refresh_call(ringcentral):
    # given a connection whose token expires now, and RingCentral refusing any reuse of a
    # rotated refresh token (no grace window to hide a double refresh)
    ringcentral.config(strict_refresh=True)
    connection = signed_in(ringcentral)
    expire_locally(connection)
    mark = ringcentral.mark()
    start = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            start.wait()
            results.append(access_token_get(connection_id=connection.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when eight threads, each with its own database connection, ask at the same moment
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then RingCentral saw exactly one refresh, and all eight got the same working token
    assert errors == []
    assert [r["status"] for r in ringcentral.requests(since=mark, **REFRESH)] == [200]
    assert len(results) == 8
    assert len(set(results)) == 1
    assert results[0] == stored_tokens(connection)[0]
    assert works_at_sandbox(ringcentral, results[0])
    assert RingCentralConnection.objects.get(pk=connection.pk).status == "active"


@pytest.mark.django_db
def test_refused_refresh_marks_needs_reauth_once_and_stops_calling(ringcentral):
    # given Alice's session was revoked at RingCentral (a password change, say)
    alice = ringcentral.user("101")
    connection = signed_in(ringcentral)
    ringcentral.add_fault("revoke_session", extension_id=alice["extension_id"])
    expire_locally(connection)
    # when a token is asked for, five times
    for _ in range(5):
        with pytest.raises(ConnectionNeedsSignIn):
            access_token_get(connection_id=connection.pk)
    # then one refresh was tried and refused, and the connection says why
    assert [r["status"] for r in ringcentral.requests(**REFRESH)] == [400]
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    assert connection.status_detail.startswith("Refresh refused: ")
    assert "invalid_grant" in connection.status_detail or "OAU-" in connection.status_detail


@pytest.mark.django_db
def test_needs_reauth_shows_a_banner_on_every_page_until_signing_in_again(ringcentral):
    # given Alice is signed in and her connection was refused a refresh
    alice = ringcentral.user("101")
    browser = Client()
    sign_in(browser, ringcentral, alice)
    connection = RingCentralConnection.objects.get()
    ringcentral.add_fault("revoke_session", extension_id=alice["extension_id"])
    expire_locally(connection)
    with pytest.raises(ConnectionNeedsSignIn):
        access_token_get(connection_id=connection.pk)
    banner = "Your RingCentral connection has stopped working."
    # then every page she opens says so
    for path in ("/", "/ringcentral/"):
        assert banner in browser.get(path).content.decode()
    # when she signs in again, then the connection works and the banner is gone
    sign_in(browser, ringcentral, alice)
    connection.refresh_from_db()
    assert connection.status == "active"
    assert banner not in browser.get("/").content.decode()
    with client_for_user(connection.user) as rc:
        assert rc.extension_me().extension_number == "101"


@pytest.mark.django_db(transaction=True)
def test_needs_reauth_reaches_the_users_socket_once(ringcentral, asgi_server):
    # given Alice signed in, with her live socket open
    alice = ringcentral.user("101")
    connection = signed_in(ringcentral)
    cookie = session_cookie(connection.user)
    with connect(
        asgi_server.replace("http://", "ws://") + "/ws/live/",
        additional_headers={"Origin": asgi_server, "Cookie": f"sessionid={cookie}"},
        open_timeout=10,
    ) as socket:
        # when her refresh is refused, and then asked for again, by a worker
        ringcentral.add_fault("revoke_session", extension_id=alice["extension_id"])
        expire_locally(connection)
        for _ in range(2):
            refused = in_a_worker_thread(lambda: access_token_get(connection_id=connection.pk))
            assert isinstance(refused, ConnectionNeedsSignIn)
        # then exactly one live message tells her to sign in again
        received = json.loads(socket.recv(timeout=5))
        with pytest.raises(TimeoutError):
            socket.recv(timeout=0.7)
    assert received == {
        "type": "ringcentral.needs_reauth",
        "message": "Your RingCentral connection has stopped working. Sign in with RingCentral "
        "again to keep calls and messages flowing.",
        "sign_in_url": "/accounts/ringcentral/login/",
    }


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.django_db
def test_access_token_expired_at_ringcentral_is_refreshed_once_and_the_call_retried(
    ringcentral,
):
    # given RingCentral expired Alice's access token although our copy is not due yet
    alice = ringcentral.user("101")
    connection = signed_in(ringcentral)
    ringcentral.add_fault("expire_tokens", extension_id=alice["extension_id"])
    mark = ringcentral.mark()
    # when she makes a call
    with client_for_user(connection.user) as rc:
        me = rc.extension_me()
    # then the call got 401, the session was refreshed once, and the retry succeeded
    assert me.extension_number == "101"
    calls = ringcentral.requests(since=mark)
    assert [(r["path"], r["status"]) for r in calls] == [
        ("/restapi/v1.0/account/~/extension/~", 401),
        ("/restapi/oauth/token", 200),
        ("/restapi/v1.0/account/~/extension/~", 200),
    ]


@pytest.mark.django_db
def test_expired_token_and_revoked_session_ends_in_needs_reauth_without_looping(ringcentral):
    alice = ringcentral.user("101")
    connection = signed_in(ringcentral)
    ringcentral.add_fault(
        "expire_tokens", extension_id=alice["extension_id"], refresh_token_too=True
    )
    mark = ringcentral.mark()
    with client_for_user(connection.user) as rc, pytest.raises(ConnectionNeedsSignIn):
        rc.extension_me()
    assert [r["status"] for r in ringcentral.requests(since=mark)] == [401, 400]
    assert RingCentralConnection.objects.get().status == "needs_reauth"


@pytest.mark.django_db
def test_jwt_account_connection_is_created_on_first_use_and_works(ringcentral, settings):
    # given a JWT credential configured for the account connection
    admin = ringcentral.user("admin")
    settings.RINGCENTRAL_JWT = admin["jwt"]
    # when account-wide work asks for a client
    with client_for_account() as rc:
        me = rc.extension_me()
    # then a flagged JWT connection exists and acts as that user
    assert me.id == int(admin["extension_id"])
    connection = account_connection_get()
    assert (connection.kind, connection.is_account_connection, connection.user) == (
        "jwt",
        True,
        None,
    )
    assert connection.extension_id == admin["extension_id"]
    grants = ringcentral.requests(path_prefix="/restapi/oauth/token")
    assert [r["grant_type"] for r in grants] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


@pytest.mark.django_db
def test_jwt_connection_whose_refresh_is_refused_uses_the_jwt_again(ringcentral, settings):
    admin = ringcentral.user("admin")
    settings.RINGCENTRAL_JWT = admin["jwt"]
    with client_for_account() as rc:
        rc.extension_me()
    connection = account_connection_get()
    ringcentral.add_fault("revoke_session", extension_id=admin["extension_id"])
    expire_locally(connection)
    with client_for_account() as rc:
        assert rc.extension_me().id == int(admin["extension_id"])
    grants = ringcentral.requests(path_prefix="/restapi/oauth/token")
    assert [(r["grant_type"], r["status"]) for r in grants] == [
        ("urn:ietf:params:oauth:grant-type:jwt-bearer", 200),
        ("refresh_token", 400),
        ("urn:ietf:params:oauth:grant-type:jwt-bearer", 200),
    ]
    assert RingCentralConnection.objects.get(pk=connection.pk).status == "active"


@pytest.mark.django_db
def test_refresh_token_expired_at_ringcentral_ends_in_needs_reauth(ringcentral):
    # given a week passes at RingCentral: the refresh token has expired there
    connection = signed_in(ringcentral)
    ringcentral.advance(604800 + 60)
    expire_locally(connection)
    # when a token is asked for, then RingCentral refuses the refresh once, and that is final
    with pytest.raises(ConnectionNeedsSignIn):
        access_token_get(connection_id=connection.pk)
    assert [r["status"] for r in ringcentral.requests(**REFRESH)] == [400]
    assert RingCentralConnection.objects.get().status == "needs_reauth"


@pytest.mark.django_db
def test_refresh_token_we_know_expired_is_not_even_sent(ringcentral):
    connection = signed_in(ringcentral)
    RingCentralConnection.objects.filter(pk=connection.pk).update(
        refresh_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    expire_locally(connection)
    with pytest.raises(ConnectionNeedsSignIn):
        access_token_get(connection_id=connection.pk)
    assert ringcentral.requests(**REFRESH) == []
    connection.refresh_from_db()
    assert (connection.status, connection.status_detail) == (
        "needs_reauth",
        "Refresh refused: the RingCentral sign-in has expired",
    )
