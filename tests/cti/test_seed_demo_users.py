"""`manage.py seed_demo_users`: local demo users, or the people of a RingCentral account created
up front with their roles and linked to their extensions (what `make demo` does with the
sandbox's people); and the CRM seed giving those people the demo contacts."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from crm.models import Contact, Note
from crm.roles import AGENTS, SUPERVISORS, is_supervisor
from telephony.models import RingCentralExtension
from tests.support.ringcentral import sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()


def people_file(tmp_path, sandbox) -> str:
    creds = sandbox.credentials()
    people = [
        {
            **{k: u[k] for k in ("extension_id", "extension_number", "name", "email", "role")},
            "account_id": creds["account_id"],
        }
        for u in creds["users"]
    ]
    path = tmp_path / "people.json"
    path.write_text(json.dumps(people))
    return str(path)


def groups(user) -> list[str]:
    return list(user.groups.values_list("name", flat=True))


def test_people_are_created_with_their_roles_and_linked_to_their_extensions(
    tmp_path, fresh_sandbox
):
    path = people_file(tmp_path, fresh_sandbox)
    call_command("seed_demo_users", people=path, password="pw-of-this-demo", stdout=None)
    call_command("seed_demo_users", people=path, password="pw-of-this-demo", stdout=None)
    users = {u["role"] + u["extension_number"]: u for u in fresh_sandbox.credentials()["users"]}
    assert User.objects.count() == 7  # six people and the local admin
    for key, person in users.items():
        user = RingCentralExtension.objects.get(rc_id=int(person["extension_id"])).user
        assert (user.email, user.extension_number, user.get_full_name()) == (
            person["email"],
            person["extension_number"],
            person["name"],
        )
        assert not user.has_usable_password()
        expected = {"supervisor": [SUPERVISORS], "admin": []}.get(person["role"], [AGENTS])
        assert (groups(user), user.is_staff, user.is_superuser) == (
            expected,
            person["role"] == "admin",
            person["role"] == "admin",
        ), key
    local = User.objects.get(username="admin")
    assert local.check_password("pw-of-this-demo") and local.is_superuser


def test_the_supervisor_signs_in_with_ringcentral_onto_the_prelinked_supervisor(
    tmp_path, ringcentral, client
):
    call_command("seed_demo_users", people=people_file(tmp_path, ringcentral), stdout=None)
    sofia = ringcentral.user("supervisor")
    users = User.objects.count()
    response = sign_in(client, ringcentral, sofia)
    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert (user.email, groups(user), is_supervisor(user)) == (
        sofia["email"],
        [SUPERVISORS],
        True,
    )
    assert User.objects.count() == users
    assert "You are signed in as a supervisor." in client.get("/").content.decode()


def test_the_admin_signs_in_with_ringcentral_as_staff(tmp_path, ringcentral, client):
    call_command("seed_demo_users", people=people_file(tmp_path, ringcentral), stdout=None)
    sign_in(client, ringcentral, ringcentral.user("admin"))
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert (user.email, user.is_staff, user.is_superuser) == (
        ringcentral.user("admin")["email"],
        True,
        True,
    )
    assert "You are signed in as an admin." in client.get("/").content.decode()
    assert client.get("/admin/").status_code == 200


def test_a_bad_people_file_is_refused_with_what_is_wrong(tmp_path):
    path = tmp_path / "people.json"
    path.write_text(json.dumps([{"extension_id": "1", "name": "X", "email": "x@y", "role": "cto"}]))
    with pytest.raises(CommandError, match=r"people.json\[0\]: missing extension_number"):
        call_command("seed_demo_users", people=str(path), stdout=None)
    assert User.objects.count() == 0


def test_demo_contacts_seeded_before_the_users_get_them_as_owners_later(tmp_path, fresh_sandbox):
    call_command("seed_demo_crm", contacts=60, stdout=None)
    assert Contact.objects.exclude(owner=None).count() == 0
    call_command("seed_demo_users", people=people_file(tmp_path, fresh_sandbox), stdout=None)
    call_command("seed_demo_crm", contacts=60, stdout=None)
    owners = set(Contact.objects.exclude(owner=None).values_list("owner__email", flat=True))
    people = {u["email"] for u in fresh_sandbox.credentials()["users"] if u["role"] != "admin"}
    assert owners == people
    assert 36 <= Contact.objects.exclude(owner=None).count() <= 57  # about four in five
    assert Note.objects.filter(author=None).count() == 0
    assert Contact.objects.count() == 60


def test_export_contact_numbers_lists_names_and_e164_numbers(tmp_path):
    call_command("seed_demo_crm", contacts=20, stdout=None)
    out = tmp_path / "numbers.json"
    call_command("export_contact_numbers", output=str(out), stdout=None)
    rows = json.loads(out.read_text())
    assert len(rows) >= 20
    assert all(set(r) == {"name", "number"} and r["number"].startswith("+") for r in rows)
    first = Contact.objects.order_by("id").first()
    assert rows[0] == {
        "name": f"{first.first_name} {first.last_name}",
        "number": first.phones.order_by("id").first().e164,
    }


@pytest.mark.django_db
def test_without_a_password_the_local_users_get_a_random_one_and_it_is_printed():
    out = io.StringIO()
    call_command("seed_demo_users", stdout=out)
    password = out.getvalue().split("admin       / ")[1].split()[0]
    assert len(password) >= 16 and password != "demo-admin"
    for username in ("agent", "supervisor", "admin"):
        assert User.objects.get(username=username).check_password(password)
