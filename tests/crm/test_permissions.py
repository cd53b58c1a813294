"""An agent sees only their own calls, messages and recordings, whichever way they ask."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client

from crm.models import CallLog, Company, Contact, ContactImport, Disposition, MessageLog, Note
from crm.records import Recording
from crm.roles import is_supervisor, sees_all_logs
from crm.selectors import call_logs_visible_to, message_logs_visible_to, recordings_visible_to
from crm.services import call_log_upsert, message_log_upsert, note_create
from tests.factories import (
    UserFactory,
    agent,
    call_record,
    contact,
    message_record,
    supervisor,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def recording(rc_id: str) -> Recording:
    return Recording(
        id=f"rec-{rc_id}",
        content_uri=f"https://media.ringcentral.com/restapi/v1.0/account/1/recording/rec-{rc_id}/content",
        type="Automatic",
        duration_seconds=42,
    )


@pytest.fixture
def world():
    """Two agents who both spoke to Casey, and a supervisor."""
    alex = agent(username="alex", first_name="Alex")
    blake = agent(username="blake", first_name="Blake")
    sam = supervisor(username="sam")
    casey = contact(first_name="Casey", phones=["+1 650 555 0100"])
    calls = {
        "alex": call_log_upsert(
            record=call_record(
                rc_id="A-ALEX", agent=alex, recording=recording("A-ALEX"), remote_name="Alexs Lead"
            )
        ),
        "alex_plain": call_log_upsert(
            record=call_record(rc_id="A-ALEX-2", agent=alex, start_time=T0 - timedelta(days=1))
        ),
        "blake": call_log_upsert(
            record=call_record(
                rc_id="B-BLAKE",
                agent=blake,
                recording=recording("B-BLAKE"),
                remote_name="Blakes Secret Lead",
                start_time=T0 + timedelta(hours=1),
            )
        ),
    }
    messages = {
        "alex": message_log_upsert(
            record=message_record(rc_id="M-ALEX", agent=alex, subject="Hello from Alex's side")
        ),
        "blake": message_log_upsert(
            record=message_record(
                rc_id="M-BLAKE",
                agent=blake,
                subject="Blake's confidential pricing",
                creation_time=T0 + timedelta(hours=2),
            )
        ),
    }
    return {
        "alex": alex,
        "blake": blake,
        "sam": sam,
        "casey": casey,
        "calls": calls,
        "messages": messages,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_selectors_give_an_agent_only_their_own_logs(world):
    alex, sam = world["alex"], world["sam"]
    calls, messages = world["calls"], world["messages"]
    assert set(call_logs_visible_to(user=alex)) == {calls["alex"], calls["alex_plain"]}
    assert set(message_logs_visible_to(user=alex)) == {messages["alex"]}
    assert list(recordings_visible_to(user=alex)) == [calls["alex"]]
    assert set(call_logs_visible_to(user=sam)) == set(calls.values())
    assert set(message_logs_visible_to(user=sam)) == set(messages.values())
    assert set(recordings_visible_to(user=sam)) == {calls["alex"], calls["blake"]}


def test_agent_call_list_shows_only_their_calls(world):
    response = client_for(world["alex"]).get("/calls/")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [
        world["calls"]["alex"],
        world["calls"]["alex_plain"],
    ]
    assert f"/calls/{world['calls']['blake'].pk}/" not in response.content.decode()
    assert "My calls" in response.content.decode()


def test_agent_message_list_shows_only_their_messages(world):
    response = client_for(world["alex"]).get("/messages/")
    assert list(response.context["page"].object_list) == [world["messages"]["alex"]]
    assert "confidential pricing" not in response.content.decode()


def test_supervisor_lists_show_everyone(world):
    sam = client_for(world["sam"])
    calls = sam.get("/calls/").context["page"].object_list
    messages = sam.get("/messages/").context["page"].object_list
    assert list(calls) == [
        world["calls"]["blake"],
        world["calls"]["alex"],
        world["calls"]["alex_plain"],
    ]
    assert list(messages) == [world["messages"]["blake"], world["messages"]["alex"]]


@pytest.mark.parametrize(
    "admin",
    [{"is_staff": True}, {"is_staff": True, "is_superuser": True}, {"is_superuser": True}],
    ids=["staff", "staff-superuser", "superuser"],
)
def test_admins_see_every_agents_logs_on_the_pages(world, admin):
    # given an admin in no role group
    ada = UserFactory(username="ada", **admin)
    ada_client = client_for(ada)
    # then the lists show everyone's calls and messages, with the agent filter and column
    calls = ada_client.get("/calls/")
    assert list(calls.context["page"].object_list) == [
        world["calls"]["blake"],
        world["calls"]["alex"],
        world["calls"]["alex_plain"],
    ]
    assert "agent" in calls.context["form"].fields
    assert "My calls" not in calls.content.decode()
    messages = ada_client.get("/messages/").context["page"].object_list
    assert list(messages) == [world["messages"]["blake"], world["messages"]["alex"]]
    # and every call, message, recording and timeline entry is theirs to open
    for call in world["calls"].values():
        assert ada_client.get(f"/calls/{call.pk}/").status_code == 200
    for message in world["messages"].values():
        assert ada_client.get(f"/messages/{message.pk}/").status_code == 200
    assert ada_client.get(f"/calls/{world['calls']['blake'].pk}/recording/").status_code == 200
    timeline = ada_client.get(f"/contacts/{world['casey'].pk}/").context["timeline"]
    assert len(timeline.entries) == 6  # the five calls and messages, and Casey's creation
    # yet being an admin does not make them a supervisor
    assert (sees_all_logs(ada), is_supervisor(ada)) == (True, False)


def test_roles_who_see_all_logs(world):
    assert [sees_all_logs(world[name]) for name in ("alex", "sam")] == [False, True]
    assert [is_supervisor(world[name]) for name in ("alex", "sam")] == [False, True]
    assert sees_all_logs(UserFactory(username="plain")) is False


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/calls/", "Blakes Secret"),
        ("/calls/", "+16505550100"),
        ("/calls/", "650 555 0100"),
        ("/messages/", "confidential"),
        ("/messages/", "(650) 555-0100"),
    ],
)
def test_agent_search_never_finds_another_agents_logs(world, path, query):
    # the results as the search box fetches them while typing
    response = client_for(world["alex"]).get(path, {"q": query}, HTTP_HX_REQUEST="true")
    found = list(response.context["page"].object_list)
    others = {world["calls"]["blake"], world["messages"]["blake"]}
    assert others.isdisjoint(found)
    results = response.content.decode()
    assert "Blake" not in results
    assert "confidential" not in results


def test_agent_cannot_widen_their_lists_with_an_agent_filter(world):
    alex = client_for(world["alex"])
    response = alex.get("/calls/", {"agent": world["blake"].pk})
    assert list(response.context["page"].object_list) == [
        world["calls"]["alex"],
        world["calls"]["alex_plain"],
    ]
    response = alex.get("/messages/", {"agent": world["blake"].pk})
    assert list(response.context["page"].object_list) == [world["messages"]["alex"]]


def test_agent_recordings_filter_lists_only_their_recordings(world):
    response = client_for(world["alex"]).get("/calls/", {"recording": "on"})
    assert list(response.context["page"].object_list) == [world["calls"]["alex"]]


def test_another_agents_call_message_and_recording_are_404_by_url(world):
    alex = client_for(world["alex"])
    blake_call, blake_message = world["calls"]["blake"], world["messages"]["blake"]
    assert alex.get(f"/calls/{blake_call.pk}/").status_code == 404
    assert alex.get(f"/calls/{blake_call.pk}/recording/").status_code == 404
    assert alex.get(f"/messages/{blake_message.pk}/").status_code == 404


def test_guessing_ids_finds_nothing_but_your_own(world):
    # given every id around the existing ones, and some far away
    alex = client_for(world["alex"])
    pks = [
        *CallLog.objects.values_list("pk", flat=True),
        *MessageLog.objects.values_list("pk", flat=True),
    ]
    ids = [0, *range(max(1, min(pks) - 3), max(pks) + 4), 10**6, 2**31 - 1]
    own_calls = {world["calls"]["alex"].pk, world["calls"]["alex_plain"].pk}
    own_recordings = {world["calls"]["alex"].pk}
    own_messages = {world["messages"]["alex"].pk}
    # when Alex tries them all, then only his own answer
    seen = {
        "calls": {i for i in ids if alex.get(f"/calls/{i}/").status_code == 200},
        "recordings": {i for i in ids if alex.get(f"/calls/{i}/recording/").status_code == 200},
        "messages": {i for i in ids if alex.get(f"/messages/{i}/").status_code == 200},
    }
    assert seen == {"calls": own_calls, "recordings": own_recordings, "messages": own_messages}
    assert alex.get(f"/calls/{world['calls']['blake'].pk}/recording/").status_code == 404


def test_agent_cannot_set_the_outcome_of_another_agents_call(world):
    sale = Disposition.objects.create(name="Sale")
    blake_call = world["calls"]["blake"]
    response = client_for(world["alex"]).post(
        f"/calls/{blake_call.pk}/", {"disposition": sale.pk, "notes": "mine now"}
    )
    assert response.status_code == 404
    blake_call.refresh_from_db()
    assert (blake_call.disposition, blake_call.notes) == (None, "")


def test_recording_metadata_for_the_owner(world):
    call = world["calls"]["alex"]
    response = client_for(world["alex"]).get(f"/calls/{call.pk}/recording/")
    assert response.status_code == 200
    assert response.json() == {
        "call_id": call.pk,
        "recording_id": "rec-A-ALEX",
        "type": "Automatic",
        "duration_seconds": 42,
        "content_uri": "https://media.ringcentral.com/restapi/v1.0/account/1/recording/rec-A-ALEX/content",
        "start_time": "2026-03-02T15:00:00+00:00",
        "agent_id": world["alex"].pk,
    }


def test_call_without_recording_has_no_recording_metadata(world):
    call = world["calls"]["alex_plain"]
    assert client_for(world["alex"]).get(f"/calls/{call.pk}/recording/").status_code == 404


def test_supervisor_reaches_every_call_message_and_recording(world):
    sam = client_for(world["sam"])
    for call in world["calls"].values():
        assert sam.get(f"/calls/{call.pk}/").status_code == 200
    for message in world["messages"].values():
        assert sam.get(f"/messages/{message.pk}/").status_code == 200
    assert sam.get(f"/calls/{world['calls']['blake'].pk}/recording/").status_code == 200


def test_contact_timeline_shows_an_agent_only_their_calls_and_messages(world):
    casey = world["casey"]
    alex_page = client_for(world["alex"]).get(f"/contacts/{casey.pk}/")
    sam_page = client_for(world["sam"]).get(f"/contacts/{casey.pk}/")
    alex_items = [e.item for e in alex_page.context["timeline"].entries]
    sam_items = [e.item for e in sam_page.context["timeline"].entries]
    created = casey.change_log.get()
    assert alex_items == [
        created,
        world["messages"]["alex"],
        world["calls"]["alex"],
        world["calls"]["alex_plain"],
    ]
    assert sam_items == [
        created,
        world["messages"]["blake"],
        world["calls"]["blake"],
        world["messages"]["alex"],
        world["calls"]["alex"],
        world["calls"]["alex_plain"],
    ]
    assert "confidential" not in alex_page.content.decode()


def test_company_activity_shows_an_agent_only_their_calls(world):
    casey = contact(first_name="Dana", company="Initech", phones=["+1 650 555 0100"])
    response = client_for(world["alex"]).get(f"/companies/{casey.company_id}/")
    items = [e.item for e in response.context["activity"].entries]
    assert world["calls"]["blake"] not in items
    assert world["messages"]["blake"] not in items
    assert world["calls"]["alex"] in items


@pytest.mark.parametrize(
    "path",
    ["/contacts/", "/companies/", "/calls/", "/messages/", "/calls/1/", "/calls/1/recording/"],
)
def test_signed_out_visitors_are_sent_to_sign_in(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_last_activity_shown_to_an_agent_never_reveals_another_agents_call():
    # given a contact whose latest call was Blake's, an hour after Alex's
    alex, blake, sam = agent(username="alex"), agent(username="blake"), supervisor(username="sam")
    dana = contact(first_name="Dana", company="Initech", phones=["+1 415 555 0199"])
    long_ago = T0 - timedelta(days=30)
    Contact.objects.filter(pk=dana.pk).update(created_at=long_ago, last_activity_at=long_ago)
    Company.objects.filter(pk=dana.company_id).update(last_activity_at=long_ago)
    call_log_upsert(record=call_record(rc_id="A1", agent=alex, remote="+14155550199"))
    blakes_time = T0 + timedelta(hours=1)
    call_log_upsert(
        record=call_record(rc_id="B1", agent=blake, remote="+14155550199", start_time=blakes_time)
    )
    shown = Template("{{ at }}").render(Context({"at": blakes_time}))
    pages = [
        f"/contacts/{dana.pk}/",
        "/contacts/",
        "/companies/",
        f"/companies/{dana.company_id}/",
    ]
    for path in pages:
        # then Alex's pages do not show its time; a supervisor's do
        assert shown not in client_for(alex).get(path).content.decode(), path
        assert shown in client_for(sam).get(path).content.decode(), path
    # and Alex's contact page shows his own call as the last activity
    alex_page = client_for(alex).get(f"/contacts/{dana.pk}/")
    assert alex_page.context["last_activity"] == T0


def test_an_agent_cannot_delete_a_company(world):
    # given a company with a contact
    dana = contact(first_name="Dana", company="Initech")
    company = dana.company
    # when an agent posts its deletion
    response = client_for(world["alex"]).post(f"/companies/{company.pk}/delete/")
    # then it is refused and nothing changed
    assert response.status_code == 403
    assert Company.objects.filter(pk=company.pk, name="Initech").exists()
    dana.refresh_from_db()
    assert dana.company_id == company.pk
    assert list(dana.change_log.values_list("action", flat=True)) == ["created"]


def test_an_agent_cannot_discard_or_apply_another_users_import(world):
    # given Blake's previewed import
    blake = client_for(world["blake"])
    blake.post(
        "/contacts/import/",
        {"file": SimpleUploadedFile("leads.csv", b"name\nDana Diaz\n", "text/csv")},
    )
    contact_import = ContactImport.objects.get()
    # when Alex tries to discard it, or apply it, then both are refused (it is not his to see)
    alex = client_for(world["alex"])
    assert alex.post(f"/contacts/import/{contact_import.pk}/discard/").status_code == 404
    assert alex.post(f"/contacts/import/{contact_import.pk}/apply/").status_code == 404
    # and nothing changed: Blake can still apply it
    contact_import.refresh_from_db()
    assert (contact_import.status, contact_import.applied_at) == ("previewed", None)
    assert not Contact.objects.filter(first_name="Dana").exists()
    blake.post(f"/contacts/import/{contact_import.pk}/apply/")
    assert Contact.objects.filter(first_name="Dana").count() == 1


def test_an_agent_pages_a_timeline_without_ever_seeing_another_agents_logs(world):
    # given a contact both agents called and texted, often at the same instants, with notes
    alex, blake = world["alex"], world["blake"]
    dana = contact(first_name="Dana", phones=["+1 415 555 0123"])
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    theirs: set = set()
    for i in range(20):
        at = t0 + timedelta(hours=i)
        call_log_upsert(
            record=call_record(rc_id=f"A{i}", agent=alex, remote="+14155550123", start_time=at)
        )
        theirs.add(
            call_log_upsert(
                record=call_record(rc_id=f"B{i}", agent=blake, remote="+14155550123", start_time=at)
            )
        )
    for i in range(15):
        at = t0 + timedelta(hours=2 * i)
        message_log_upsert(
            record=message_record(
                rc_id=f"MA{i}", agent=alex, remote="+14155550123", creation_time=at
            )
        )
        theirs.add(
            message_log_upsert(
                record=message_record(
                    rc_id=f"MB{i}",
                    agent=blake,
                    remote="+14155550123",
                    subject="Blake's own",
                    creation_time=at + timedelta(minutes=30),
                )
            )
        )
    for i, author in enumerate([alex, blake, alex, blake, alex]):
        note = note_create(contact=dana, author=author, body=f"note {i}")
        Note.objects.filter(pk=note.pk).update(created_at=t0 + timedelta(hours=3 * i))
    rank = {"call": 3, "message": 2, "note": 1, "change": 0}
    expected = sorted(
        [("call", c.start_time, c.pk) for c in CallLog.objects.filter(agent=alex, contact=dana)]
        + [
            ("message", m.creation_time, m.pk)
            for m in MessageLog.objects.filter(agent=alex, contact=dana)
        ]
        + [("note", n.created_at, n.pk) for n in dana.notes.all()]
        + [("change", c.at, c.pk) for c in dana.change_log.all()],
        key=lambda e: (e[1], rank[e[0]], e[2]),
        reverse=True,
    )
    assert len(expected) == 41

    # when Alex reads the timeline page after page, along the cursor
    alex_client = client_for(alex)
    pages, cursor = [], None
    while True:
        response = alex_client.get(
            f"/contacts/{dana.pk}/timeline/", {"cursor": cursor} if cursor else {}
        )
        assert response.status_code == 200
        assert "Blake&#x27;s own" not in response.content.decode()
        page = response.context["timeline"]
        pages.append([(e.kind, e.at, e.item.pk) for e in page.entries])
        assert theirs.isdisjoint(e.item for e in page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break

    # then the pages are full but the last, and together every entry he may see, once, in order
    assert [len(p) for p in pages] == [25, 16]
    assert [entry for p in pages for entry in p] == expected
