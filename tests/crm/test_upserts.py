import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from crm.models import CallLog, Company, Contact, Disposition, MessageLog
from crm.records import MessageAttachment, Party, Recording
from crm.services import (
    ContactData,
    PhoneInput,
    call_log_set_outcome,
    call_log_upsert,
    contact_update,
    message_log_upsert,
)
from tests.factories import agent, call_record, contact, message_record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_same_call_record_twice_gives_one_row_updated():
    # given a call seen first while it was ringing
    alex = agent()
    call_log_upsert(record=call_record(rc_id="A1", agent=alex, result="In Progress"))
    # when the same record arrives again, finished
    call = call_log_upsert(
        record=call_record(rc_id="A1", agent=alex, result="Accepted", duration_seconds=312)
    )
    # then there is one row, updated
    assert CallLog.objects.count() == 1
    assert (call.result, call.duration_seconds, call.agent) == ("Accepted", 312, alex)
    assert call.session_id == "session-A1"


def test_same_message_record_twice_gives_one_row_updated():
    message_log_upsert(record=message_record(rc_id="M1", status="Queued", direction="Outbound"))
    message = message_log_upsert(
        record=message_record(rc_id="M1", status="Delivered", direction="Outbound")
    )
    assert MessageLog.objects.count() == 1
    assert message.status == "Delivered"
    assert message.to == [
        {"phone_number": "+16505550100", "extension_number": "", "name": "Jane Smith"}
    ]


def test_later_record_fills_in_fields_the_first_did_not_have():
    # given a Simple-view record without telephony session or recording
    call_log_upsert(record=call_record(rc_id="A1"))
    # when a Detailed record brings them
    call_log_upsert(
        record=call_record(
            rc_id="A1",
            telephony_session_id="s-abc",
            recording=Recording(
                id="1662272004",
                content_uri="https://media.ringcentral.com/restapi/v1.0/account/1/recording/1662272004/content",
                type="OnDemand",
                duration_seconds=54,
            ),
            last_modified=T0 + timedelta(minutes=2),
        )
    )
    # and then an untimed record without them arrives again
    call = call_log_upsert(record=call_record(rc_id="A1", result="Accepted"))
    # then what was filled in stays
    assert call.telephony_session_id == "s-abc"
    assert (call.recording_id, call.recording_type, call.recording_duration_seconds) == (
        "1662272004",
        "OnDemand",
        54,
    )
    assert call.rc_last_modified == T0 + timedelta(minutes=2)


def test_stale_record_does_not_clobber_newer_data():
    # given the stored record was modified at T0+5min and says Accepted
    call_log_upsert(
        record=call_record(
            rc_id="A1", result="Accepted", duration_seconds=312, last_modified=T0 + timedelta(5)
        )
    )
    # when an older version (T0+1min, still ringing) arrives late
    call = call_log_upsert(
        record=call_record(
            rc_id="A1",
            result="In Progress",
            duration_seconds=0,
            last_modified=T0 + timedelta(1),
        )
    )
    # then the newer data stays
    assert (call.result, call.duration_seconds) == ("Accepted", 312)
    assert call.rc_last_modified == T0 + timedelta(5)
    assert CallLog.objects.count() == 1


def test_untimed_record_only_fills_empty_columns_of_a_timed_row():
    call_log_upsert(record=call_record(rc_id="A1", result="Accepted", last_modified=T0))
    call = call_log_upsert(record=call_record(rc_id="A1", result="Missed", reason="Timeout"))
    assert (call.result, call.reason, call.rc_last_modified) == ("Accepted", "Timeout", T0)


def test_newer_message_record_wins_and_stale_message_changes_nothing():
    message_log_upsert(record=message_record(rc_id="M1", status="Sent", last_modified=T0))
    message_log_upsert(
        record=message_record(rc_id="M1", status="Delivered", last_modified=T0 + timedelta(1))
    )
    message = message_log_upsert(
        record=message_record(rc_id="M1", status="Queued", last_modified=T0 - timedelta(1))
    )
    assert message.status == "Delivered"


def test_upsert_links_the_matched_contact_and_bumps_its_activity():
    # given a contact at a company, both last active long ago
    casey = contact(company="Initech", phones=["(650) 555-0100"])
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    Contact.objects.update(last_activity_at=long_ago)
    Company.objects.update(last_activity_at=long_ago)
    # when a call from their number is stored
    call = call_log_upsert(record=call_record(rc_id="A1", remote="+16505550100"))
    # then it is linked to them, and their and their company's activity is the call's start
    assert call.contact == casey
    assert call.remote_e164 == "+16505550100"
    assert Contact.objects.get(pk=casey.pk).last_activity_at == T0
    assert Company.objects.get().last_activity_at == T0
    # and an older call does not move the activity back
    call_log_upsert(record=call_record(rc_id="A0", start_time=T0 - timedelta(days=3)))
    assert Contact.objects.get(pk=casey.pk).last_activity_at == T0


def test_outbound_message_matches_its_first_recipient():
    casey = contact(phones=["+44 20 7946 0958"])
    Contact.objects.update(last_activity_at=datetime(2025, 1, 1, tzinfo=UTC))
    message = message_log_upsert(
        record=message_record(rc_id="M1", direction="Outbound", remote="442079460958")
    )
    assert message.contact == casey
    assert message.remote_e164 == "+442079460958"
    assert Contact.objects.get(pk=casey.pk).last_activity_at == message.creation_time


def test_resync_never_replaces_the_linked_contact_nor_the_agents_outcome():
    # given a call linked to Casey, dispositioned with notes by the agent
    casey = contact(first_name="Casey", phones=["+16505550100"])
    call = call_log_upsert(record=call_record(rc_id="A1"))
    sale = Disposition.objects.create(name="Sale")
    call_log_set_outcome(call=call, disposition=sale, notes="Wants 40 seats")
    # when another contact gets the same number (more recent activity) and the call re-syncs
    contact(first_name="Newer", phones=["+16505550100"])
    again = call_log_upsert(record=call_record(rc_id="A1", result="Accepted", duration_seconds=60))
    # then the link and the outcome stay
    assert again.contact == casey
    assert (again.disposition, again.notes, again.duration_seconds) == (sale, "Wants 40 seats", 60)


def test_unmatched_calls_are_linked_when_the_contact_is_created():
    # given a call and a message from a number nobody has yet
    call_log_upsert(record=call_record(rc_id="A1", remote="+16505550100"))
    message_log_upsert(record=message_record(rc_id="M1", remote="+16505550100"))
    # when a contact with that number is created
    casey = contact(phones=["650-555-0100"])
    # then both are linked to them
    assert list(CallLog.objects.values_list("contact", flat=True)) == [casey.pk]
    assert list(MessageLog.objects.values_list("contact", flat=True)) == [casey.pk]


def test_adding_a_number_links_its_calls_and_moves_activity_up_to_the_latest():
    # given a contact last active long ago, and a call and a message from a number they lack
    casey = contact(phones=["+1 415 555 0199"])
    Contact.objects.update(last_activity_at=datetime(2025, 1, 1, tzinfo=UTC))
    call_log_upsert(record=call_record(rc_id="A1", remote="+16505550100"))
    message_log_upsert(record=message_record(rc_id="M1", remote="+16505550100"))
    # when the number is added to the contact
    contact_update(
        contact=casey,
        data=ContactData(first_name="Casey", last_name="Caller"),
        phones=[PhoneInput("+1 415 555 0199"), PhoneInput("650-555-0100", "work")],
        by=None,
    )
    # then both are linked, and last activity is the later of the two (the message)
    assert list(CallLog.objects.values_list("contact", flat=True)) == [casey.pk]
    assert list(MessageLog.objects.values_list("contact", flat=True)) == [casey.pk]
    assert Contact.objects.get(pk=casey.pk).last_activity_at == datetime(2026, 3, 2, 16, tzinfo=UTC)


def test_internal_call_shows_the_extension_and_matches_no_contact():
    colleague = agent(extension_number="101")
    call = call_log_upsert(
        record=call_record(
            rc_id="A1", from_party=Party(extension_number="101", name=colleague.get_full_name())
        )
    )
    assert (call.remote_number, call.remote_e164, call.contact) == ("101", "", None)
    assert call.from_extension_number == "101"


def test_message_attachments_are_stored_as_metadata():
    message = message_log_upsert(
        record=message_record(
            rc_id="M1",
            message_type="MMS",
            attachments=(
                MessageAttachment(
                    id="2640223004",
                    uri="https://media.ringcentral.com/restapi/v1.0/account/~/extension/~/message-store/1/content/2640223004",
                    type="MmsAttachment",
                    content_type="image/png",
                    size=20480,
                    file_name="floorplan.png",
                ),
            ),
        )
    )
    assert message.attachments == [
        {
            "id": "2640223004",
            "uri": "https://media.ringcentral.com/restapi/v1.0/account/~/extension/~/message-store/1/content/2640223004",
            "type": "MmsAttachment",
            "content_type": "image/png",
            "size": 20480,
            "file_name": "floorplan.png",
            "vm_duration_seconds": None,
        }
    ]


def test_overlong_provider_strings_are_trimmed_not_refused():
    call = call_log_upsert(record=call_record(rc_id="A1", remote_name="N" * 500))
    assert call.from_name == "N" * 200


def test_nul_characters_from_the_provider_are_dropped_not_a_database_error():
    # PostgreSQL refuses U+0000 in text and in jsonb; one stray byte must not fail a sync
    message = message_log_upsert(
        record=message_record(
            rc_id="M1",
            subject="see\x00you",
            remote="+16505550100\x00",
            from_party=Party(phone_number="+16505550100", name="Ja\x00ne"),
            to_parties=(Party(phone_number="+18442374550", name="Sa\x00les"),),
            attachments=(MessageAttachment(id="1", file_name="a\x00.png"),),
        )
    )
    assert (message.subject, message.from_name) == ("seeyou", "Jane")
    assert message.to[0]["name"] == "Sales"
    assert message.attachments[0]["file_name"] == "a.png"
    call = call_log_upsert(record=call_record(rc_id="A1", remote_name="Ja\x00ne", reason="x\x00"))
    assert (call.from_name, call.reason) == ("Jane", "x")


def test_long_and_non_bmp_text_is_stored_whole():
    text = "Hello 👋🏽 " + "🎉" * 5000
    message = message_log_upsert(record=message_record(rc_id="M1", subject=text))
    assert message.subject == text
    call = call_log_upsert(record=call_record(rc_id="A1", remote_name="😀" * 300))
    assert call.from_name == "😀" * 200


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"direction": "Sideways"}, "record A1: direction 'Sideways' is not Inbound or Outbound"),
        (
            {"start_time": datetime(2026, 3, 2, 15)},
            "record A1: time 2026-03-02T15:00:00 has no time zone",
        ),
    ],
)
def test_malformed_record_is_refused_and_nothing_is_written(fields, error):
    with pytest.raises(ValueError) as refused:
        call_log_upsert(record=call_record(rc_id="A1", **fields))
    assert str(refused.value) == error
    assert CallLog.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_one_record_give_one_row():
    # given eight workers storing the same call at the same moment
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def store(duration: int) -> None:
        try:
            barrier.wait(5)
            call_log_upsert(record=call_record(rc_id="RACE", duration_seconds=duration))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=store, args=(d,)) for d in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # then none failed and there is exactly one row
    assert errors == []
    assert CallLog.objects.filter(rc_id="RACE").count() == 1


def activity(person: Contact) -> datetime:
    return Contact.objects.get(pk=person.pk).last_activity_at


@pytest.mark.parametrize("upsert", ["call", "message"])
def test_number_of_several_contacts_links_the_first_match_and_bumps_only_it(upsert):
    # given two contacts on one number, the first created the more recently active
    first = contact(first_name="First", phones=["+16505550100"])
    second = contact(first_name="Second", phones=["(650) 555-0100"])
    Contact.objects.filter(pk=first.pk).update(last_activity_at=T0 - timedelta(days=1))
    Contact.objects.filter(pk=second.pk).update(last_activity_at=T0 - timedelta(days=2))
    # when a call or message from that number is stored
    if upsert == "call":
        log = call_log_upsert(record=call_record(rc_id="A1"))
    else:
        log = message_log_upsert(record=message_record(rc_id="M1"))
    # then it is linked to the first in matching's order, and only that one's activity moved
    assert log.contact == first
    assert (activity(first), activity(second)) == (
        log.creation_time if upsert == "message" else log.start_time,
        T0 - timedelta(days=2),
    )


def test_contacts_equally_active_link_the_newest_contact_every_time():
    # given two contacts on one number with the same last activity
    older = contact(first_name="Older", phones=["+16505550100"])
    newer = contact(first_name="Newer", phones=["+16505550100"])
    Contact.objects.update(last_activity_at=T0 - timedelta(days=1))
    # when calls from that number are stored
    first_call = call_log_upsert(record=call_record(rc_id="A1"))
    second_call = call_log_upsert(record=call_record(rc_id="A2", start_time=T0 + timedelta(1)))
    # then both go to the newest contact, matching's tie-break, and the other keeps its activity
    assert (first_call.contact, second_call.contact) == (newer, newer)
    assert activity(older) == T0 - timedelta(days=1)
    assert activity(newer) == T0 + timedelta(1)


def test_resync_bumps_the_contact_linked_earlier_not_the_new_first_match():
    # given a call linked to Casey
    casey = contact(first_name="Casey", phones=["+16505550100"])
    call_log_upsert(record=call_record(rc_id="A1", last_modified=T0))
    # when a more recently active contact gets the number and a newer version of the call syncs
    newer = contact(first_name="Newer", phones=["+16505550100"])
    Contact.objects.filter(pk=casey.pk).update(last_activity_at=T0 - timedelta(days=9))
    Contact.objects.filter(pk=newer.pk).update(last_activity_at=T0 - timedelta(days=1))
    again = call_log_upsert(
        record=call_record(rc_id="A1", last_modified=T0 + timedelta(hours=1), duration_seconds=60)
    )
    # then the call stays Casey's, and Casey's activity moves, not the other contact's
    assert again.contact == casey
    assert (activity(casey), activity(newer)) == (T0, T0 - timedelta(days=1))


def test_stale_record_bumps_nobody():
    casey = contact(phones=["+16505550100"])
    call_log_upsert(record=call_record(rc_id="A1", last_modified=T0))
    Contact.objects.update(last_activity_at=T0 - timedelta(days=9))
    call_log_upsert(
        record=call_record(rc_id="A1", last_modified=T0 - timedelta(hours=1), duration_seconds=5)
    )
    assert activity(casey) == T0 - timedelta(days=9)
