import threading
import time

import pytest
from django.db import connections, transaction
from django.urls import reverse

from telephony import crypto
from telephony.locks import connection_lock_for_token_change
from telephony.models import RingCentralConnection, RingCentralExtension
from tests.factories import UserFactory, agent
from tests.telephony.vault import ACCESS, REFRESH, stored_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_shows_connection_state_and_never_a_token(admin_client):
    # given a stored connection
    connection = stored_connection(agent(username="ann"))
    # when an admin opens the list and the connection
    listing = admin_client.get(reverse("admin:telephony_ringcentralconnection_changelist"))
    detail = admin_client.get(
        reverse("admin:telephony_ringcentralconnection_change", args=[connection.pk])
    )
    # then status, expiry and the account flag show, and neither token nor ciphertext does
    for page in (listing, detail):
        html = page.content.decode()
        assert page.status_code == 200
        assert "Active" in html
        for secret in (ACCESS, REFRESH, connection.access_token_ciphertext[:20]):
            assert secret not in html
    assert "Access token expires at" in detail.content.decode()
    assert "Is account connection" in detail.content.decode()


@pytest.mark.django_db(transaction=True)
def test_saving_the_admin_page_during_a_refresh_never_puts_back_the_spent_tokens(admin_client):
    # given a refresh in progress: it holds the row lock while RingCentral answers
    connection = stored_connection(agent(username="ann"))
    locked, done = threading.Event(), threading.Event()

    def refresh() -> None:
        try:
            with transaction.atomic():
                row = connection_lock_for_token_change(connection_id=connection.pk)
                locked.set()
                time.sleep(1)
                row.access_token_ciphertext = crypto.encrypt("rotated-access")
                row.refresh_token_ciphertext = crypto.encrypt("rotated-refresh")
                row.save()
        finally:
            connections.close_all()
            done.set()

    threading.Thread(target=refresh).start()
    assert locked.wait(5)
    # when an admin presses Save on the connection's page meanwhile
    response = admin_client.post(
        reverse("admin:telephony_ringcentralconnection_change", args=[connection.pk]),
        {"_save": "Save"},
    )
    assert done.wait(5)
    # then the page is read-only, and the rotated pair the refresh saved is still there (the
    # old refresh token is spent: writing it back would end the session at the next refresh)
    assert response.status_code == 403
    stored = RingCentralConnection.objects.get()
    assert crypto.decrypt(stored.refresh_token_ciphertext) == "rotated-refresh"
    assert crypto.decrypt(stored.access_token_ciphertext) == "rotated-access"


def test_admin_designates_exactly_one_account_connection(admin_client):
    first, second = stored_connection(agent()), stored_connection(agent())
    url = reverse("admin:telephony_ringcentralconnection_changelist")
    admin_client.post(
        url, {"action": "designate_account_connection", "_selected_action": [first.pk]}
    )
    admin_client.post(
        url, {"action": "designate_account_connection", "_selected_action": [second.pk]}
    )
    flagged = RingCentralConnection.objects.filter(is_account_connection=True)
    assert list(flagged.values_list("pk", flat=True)) == [second.pk]


def test_admin_refuses_to_designate_two_at_once(admin_client):
    first, second = stored_connection(agent()), stored_connection(agent())
    response = admin_client.post(
        reverse("admin:telephony_ringcentralconnection_changelist"),
        {"action": "designate_account_connection", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Choose exactly one connection." in response.content.decode()
    assert not RingCentralConnection.objects.filter(is_account_connection=True).exists()


def test_admin_links_a_directory_extension_to_a_user(admin_client):
    # given a synced extension and an existing agent
    row = RingCentralExtension.objects.create(rc_id=62100102, extension_number="102", name="Ben")
    ben = agent(username="ben")
    url = reverse("admin:telephony_ringcentralextension_change", args=[row.pk])
    # when an admin links them
    response = admin_client.post(url, {"user": ben.pk})
    # then the extension belongs to that agent, and nothing else about it changed
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.user, row.extension_number, row.name) == (ben, "102", "Ben")
    listing = admin_client.get(reverse("admin:telephony_ringcentralextension_changelist"))
    assert "Ben" in listing.content.decode()


def test_admin_offers_no_allauth_app_or_token_pages(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Social applications" not in index
    assert "Social application tokens" not in index
    assert "Social accounts" in index


def test_staff_who_may_only_view_connections_cannot_designate_one(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ringcentralconnection"))
    client.force_login(viewer)
    connection = stored_connection(agent())
    url = reverse("admin:telephony_ringcentralconnection_changelist")
    assert client.get(url).status_code == 200
    client.post(
        url, {"action": "designate_account_connection", "_selected_action": [connection.pk]}
    )
    assert not RingCentralConnection.objects.filter(is_account_connection=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_designations_at_once_leave_exactly_one_account_connection(monkeypatch):
    # given two admins designating two different connections at the same moment: both have
    # unset the other flags (none yet) before either sets its own
    from telephony import tokens

    first, second = stored_connection(agent()), stored_connection(agent())
    both_unset = threading.Barrier(2, timeout=5)
    waited: set[int] = set()
    lock = tokens.connection_lock_for_token_change

    def lock_after_both_unset(*, connection_id):
        if connection_id not in waited:
            waited.add(connection_id)
            both_unset.wait()
        return lock(connection_id=connection_id)

    monkeypatch.setattr(tokens, "connection_lock_for_token_change", lock_after_both_unset)
    errors = []

    def designate(connection_id: int) -> None:
        try:
            tokens.connection_designate_account(connection_id=connection_id)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=designate, args=(c.pk,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # then neither failed, and exactly one is the account connection
    assert errors == []
    assert RingCentralConnection.objects.filter(is_account_connection=True).count() == 1
