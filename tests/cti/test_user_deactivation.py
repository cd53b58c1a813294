"""Deactivating or deleting a user in Django admin ends what Django does not know about: their
RingCentral session (tokens forgotten here, the session revoked at RingCentral) and their open
live sockets; and an inactive user's tokens are never used, however they were deactivated."""

import asyncio
import threading

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from crm.roles import AGENTS
from cti.users import user_access_end
from telephony.models import RingCentralConnection
from telephony.tokens import ConnectionNeedsSignIn, client_for_user
from tests.cti.test_live_socket import connect, session_cookie
from tests.factories import UserFactory, agent
from tests.support.ringcentral import sign_in

User = get_user_model()


def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def signed_in_alice(ringcentral) -> tuple[Client, dict, User]:
    alice = ringcentral.user("101")
    browser = Client()
    assert sign_in(browser, ringcentral, alice).status_code == 302
    return browser, alice, User.objects.get(extension_number="101")


def assert_session_ended(ringcentral, alice: dict, user) -> None:
    [session] = ringcentral.sessions(extension_id=alice["extension_id"])
    assert session["active"] is False
    connection = RingCentralConnection.objects.get(user=user)
    assert (connection.status, connection.status_detail) == ("signed_out", "User deactivated")
    assert connection.access_token_ciphertext == connection.refresh_token_ciphertext == ""


@pytest.mark.django_db(transaction=True)
def test_deactivating_a_user_on_their_admin_page_ends_their_ringcentral_session(ringcentral):
    # given Alice signed in with RingCentral
    browser, alice, user = signed_in_alice(ringcentral)
    # when an admin unticks "Active" on her page and saves
    admin = admin_client()
    change_url = reverse("admin:crm_user_change", args=[user.pk])
    form = admin.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        is_active="",
        groups=[g.pk for g in user.groups.all()],
        date_joined_0=user.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=user.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    # then she is inactive, her RingCentral session is revoked and her tokens are gone
    user.refresh_from_db()
    assert user.is_active is False
    assert_session_ended(ringcentral, alice, user)
    # and her browser's session no longer works
    assert browser.get("/")["Location"].startswith("/login/")


@pytest.mark.django_db(transaction=True)
def test_the_admin_action_deactivates_and_ends_each_session(ringcentral):
    # given Alice signed in, and an admin's list of users
    _browser, alice, user = signed_in_alice(ringcentral)
    # when the admin runs "Deactivate selected users" on her
    response = admin_client().post(
        reverse("admin:crm_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [user.pk]},
    )
    # then she is inactive and her RingCentral session ended
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert_session_ended(ringcentral, alice, user)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_user_revokes_their_ringcentral_session_first(ringcentral):
    # given Alice signed in
    _browser, alice, user = signed_in_alice(ringcentral)
    # when an admin deletes her
    response = admin_client().post(
        reverse("admin:crm_user_delete", args=[user.pk]), {"post": "yes"}
    )
    # then her row and connection are gone, and no RingCentral session is left open
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert RingCentralConnection.objects.count() == 0
    [session] = ringcentral.sessions(extension_id=alice["extension_id"])
    assert session["active"] is False


@pytest.mark.django_db(transaction=True)
def test_an_inactive_users_tokens_are_never_used(ringcentral):
    # given Alice signed in, then deactivated behind admin's back (a bulk update)
    _browser, _alice, user = signed_in_alice(ringcentral)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()
    before = len(ringcentral.requests())
    # when anything asks for a client acting as her
    with pytest.raises(ConnectionNeedsSignIn) as refused:
        client_for_user(user)
    # then it is refused without a call to RingCentral
    assert refused.value.error_code == "user_inactive"
    assert len(ringcentral.requests()) == before


@pytest.mark.django_db(transaction=True)
async def test_deactivating_a_user_closes_their_open_live_sockets(asgi_server):
    # given Bob with live sockets open in two browsers
    bob = await sync_to_async(UserFactory)()
    cookies = [await sync_to_async(session_cookie)(bob) for _ in range(2)]
    async with (
        await connect(asgi_server, cookies[0]) as one,
        await connect(asgi_server, cookies[1]) as two,
    ):
        # when an admin deactivates him
        def deactivate() -> int:
            return (
                admin_client()
                .post(
                    reverse("admin:crm_user_changelist"),
                    {"action": "deactivate_users", "_selected_action": [bob.pk]},
                )
                .status_code
            )

        assert await sync_to_async(deactivate)() == 302
        # then both sockets close (4401: the pages stop reconnecting)
        for socket in (one, two):
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            assert closed.value.rcvd.code == 4401


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?groups__id__exact={group}", "?q=bob"])
def test_the_admin_action_works_on_a_filtered_list_of_users(query):
    # given Bob in Agents, and the user list filtered (by group: a DISTINCT query)
    bob = agent(username="bob")
    agents = Group.objects.get(name=AGENTS)
    url = reverse("admin:crm_user_changelist") + query.format(group=agents.pk)
    # when an admin deactivates him from that list
    response = admin_client().post(
        url, {"action": "deactivate_users", "_selected_action": [bob.pk]}
    )
    # then he is deactivated
    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).is_active is False


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_racing_a_deactivation_leaves_no_live_session(ringcentral):
    # given Alice, who signed in before, signed out
    browser, alice, user = signed_in_alice(ringcentral)
    browser.post("/logout/")
    # and an admin's deactivation of her written, its session end done, not yet committed
    written, release = threading.Event(), threading.Event()

    def deactivate() -> None:
        try:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(is_active=False)
                user_access_end(user=User.objects.get(pk=user.pk))
                written.set()
                release.wait(10)
        finally:
            connection.close()

    admin = threading.Thread(target=deactivate)
    admin.start()
    assert written.wait(10)
    threading.Timer(1.0, release.set).start()
    # when she signs in with RingCentral meanwhile
    response = sign_in(Client(), ringcentral, alice)
    admin.join(10)
    # then the sign-in waited for the deactivation and was refused: no tokens kept, and no
    # RingCentral session of hers left open
    assert response.status_code == 403
    connection_row = RingCentralConnection.objects.get(user=user)
    assert connection_row.access_token_ciphertext == connection_row.refresh_token_ciphertext == ""
    assert [s["active"] for s in ringcentral.sessions(extension_id=alice["extension_id"])] == [
        False,
        False,
    ]
