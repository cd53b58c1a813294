"""The directory sync, in-process and on a real Celery worker (including a rate-limited retry)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from telephony.models import RingCentralConnection, RingCentralExtension
from telephony.ringcentral.client import TASK
from telephony.sync import directory_sync
from telephony.tasks import directory_sync as directory_sync_task
from telephony.tokens import client_for_account, connection_designate_account
from tests.support.ringcentral import sign_in
from tests.support.sandbox import SandboxClient

EXTENSIONS = "/restapi/v1.0/account/~/extension"


def enabled_users(sandbox: SandboxClient) -> dict[int, dict]:
    return {
        int(e["extension_id"]): e
        for e in sandbox.credentials()["extensions"]
        if e["type"] == "User" and e["status"] == "Enabled"
    }


def account_connection_of(sandbox: SandboxClient, number: str = "106") -> RingCentralConnection:
    """Sign the admin user in and designate their connection for account-wide work."""
    sign_in(Client(), sandbox, sandbox.user(number))
    connection = RingCentralConnection.objects.get(
        extension_id=sandbox.user(number)["extension_id"]
    )
    return connection_designate_account(connection_id=connection.pk)


@pytest.mark.django_db
def test_sync_mirrors_enabled_users_and_keeps_linked_users_in_step(ringcentral):
    # given an account connection, Alice signed in (linked) with a stale number on her user,
    # and a row for an extension that no longer exists
    account_connection_of(ringcentral)
    alice = ringcentral.user("101")
    sign_in(Client(), ringcentral, alice)
    alice_user = RingCentralConnection.objects.get(extension_id=alice["extension_id"]).user
    get_user_model().objects.filter(pk=alice_user.pk).update(extension_number="999")
    RingCentralExtension.objects.create(rc_id=1, extension_number="199", name="Gone")
    # when the directory is synced (over several pages), twice
    with client_for_account(policy=TASK) as rc:
        first = directory_sync(client=rc)
        second = directory_sync(client=rc)
    # then every enabled user extension is listed once, with its number, name and e-mail
    expected = enabled_users(ringcentral)
    emails = {int(u["extension_id"]): u["email"] for u in ringcentral.credentials()["users"]}
    account_id = ringcentral.credentials()["account_id"]
    listed = RingCentralExtension.objects.filter(in_directory=True)
    assert sorted(listed.values_list("rc_id", flat=True)) == sorted(expected)
    for row in listed:
        assert (row.extension_number, row.name, row.email, row.account_id) == (
            expected[row.rc_id]["extension_number"],
            expected[row.rc_id]["name"],
            emails[row.rc_id],
            account_id,
        )
    assert RingCentralExtension.objects.get(rc_id=1).in_directory is False
    # and Alice's row is linked to her, with her number back in step
    assert RingCentralExtension.objects.get(rc_id=int(alice["extension_id"])).user == alice_user
    alice_user.refresh_from_db()
    assert alice_user.extension_number == "101"
    assert (first.listed, first.delisted, first.numbers_updated) == (len(expected), 1, 1)
    assert (second.listed, second.delisted, second.numbers_updated) == (len(expected), 0, 0)


@pytest.mark.django_db
def test_sync_links_an_extension_to_the_user_who_signed_in_as_it(ringcentral):
    account_connection_of(ringcentral)
    ben = ringcentral.user("102")
    sign_in(Client(), ringcentral, ben)
    ben_user = RingCentralConnection.objects.get(extension_id=ben["extension_id"]).user
    RingCentralExtension.objects.filter(rc_id=int(ben["extension_id"])).delete()
    with client_for_account(policy=TASK) as rc:
        result = directory_sync(client=rc)
    assert RingCentralExtension.objects.get(rc_id=int(ben["extension_id"])).user == ben_user
    assert result.linked == 1


@pytest.mark.django_db(transaction=True)
def test_sync_task_runs_on_a_worker(ringcentral, celery_worker):
    account_connection_of(ringcentral)
    result = directory_sync_task.delay().get(timeout=30)
    expected = enabled_users(ringcentral)
    assert result == {"listed": len(expected), "delisted": 0, "linked": 0, "numbers_updated": 0}
    assert RingCentralExtension.objects.filter(in_directory=True).count() == len(expected)


@pytest.mark.django_db(transaction=True)
def test_rate_limited_task_retries_after_the_wait_ringcentral_asked_for(ringcentral, celery_worker):
    # given RingCentral answers the first directory page with 429, Retry-After: 3
    account_connection_of(ringcentral)
    ringcentral.add_fault("rate_limit", path=EXTENSIONS, method="GET", retry_after=3, count=1)
    mark = ringcentral.mark()
    # when the sync task runs on the worker
    result = directory_sync_task.delay().get(timeout=30)
    # then it was retried once, no sooner than RingCentral asked, and then succeeded
    assert result["listed"] == len(enabled_users(ringcentral))
    pages = [
        r
        for r in ringcentral.requests(since=mark, path_prefix=EXTENSIONS)
        if r["path"].endswith("/extension")
    ]
    assert [r["status"] for r in pages] == [429, 200]
    waited = pages[1]["timestamp"] - pages[0]["timestamp"]
    assert 3 <= waited < 6
    assert "Retry in 3s" in celery_worker.log_tail(200) or (
        "Retry in 4s" in celery_worker.log_tail(200)
    )


@pytest.mark.django_db(transaction=True)
def test_task_without_an_account_connection_is_skipped_with_a_reason(ringcentral, celery_worker):
    result = directory_sync_task.delay().get(timeout=30)
    assert result == {
        "skipped": "No RingCentral account connection: designate one in Django admin "
        "(RingCentral connections → action) or set RINGCENTRAL_JWT."
    }
    assert ringcentral.requests(path_prefix=EXTENSIONS) == []
