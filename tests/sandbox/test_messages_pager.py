"""Company pager messages: internal text between extensions, replies, refusals."""

from tests.sandbox.conftest import login_api
from tests.sandbox.messaging import error_of, list_messages
from tests.support.openapi import assert_valid

PAGER = "/restapi/v1.0/account/~/extension/~/company-pager"


def test_pager_message_lands_in_every_recipients_mailbox(sandbox, alice_api):
    sent = assert_valid(
        alice_api.post(
            PAGER,
            json={
                "to": [{"extensionNumber": "102"}, {"extensionNumber": "201"}],
                "text": "Standup?",
            },
        )
    )
    assert (sent["type"], sent["direction"], sent["messageStatus"], sent["pgToDepartment"]) == (
        "Pager",
        "Outbound",
        "Sent",
        True,
    )
    assert sent["from"] == {
        "extensionNumber": "101",
        "extensionId": sandbox.user("101")["extension_id"],
        "name": "Alice Walker",
    }
    assert [t["extensionNumber"] for t in sent["to"]] == ["102", "201"]
    [entry] = sandbox.outbox(kind="pager")
    assert entry["payload"]["id"] == sent["id"]
    _, ben_api = login_api(sandbox, "102")
    with ben_api:
        [received] = list_messages(ben_api, messageType="Pager")["records"]
        assert (received["direction"], received["readStatus"], received["subject"]) == (
            "Inbound",
            "Unread",
            "Standup?",
        )
        assert received["conversationId"] == sent["conversationId"]
        reply = assert_valid(ben_api.post(PAGER, json={"replyOn": received["id"], "text": "Sure"}))
    assert {t["extensionNumber"] for t in reply["to"]} == {"101", "201"}
    assert reply["conversationId"] == sent["conversationId"]
    assert len(list_messages(alice_api, messageType="Pager")["records"]) == 2


def test_refused_pager_messages(sandbox, alice_api):
    for body, code in (
        ({"to": [{"extensionNumber": "999"}], "text": "x"}, "MSG-316"),
        ({"to": [{"extensionNumber": "107"}], "text": "x"}, "MSG-316"),
        ({"to": [{"extensionNumber": "102"}]}, "CMN-100"),
        ({"text": "x"}, "CMN-100"),
        (
            {"to": [{"extensionNumber": "102"}], "text": "x", "from": {"extensionNumber": "102"}},
            "MSG-332",
        ),
        ({"to": [{"extensionNumber": "102"}], "text": "x" * 1025}, "CMN-101"),
    ):
        response = alice_api.post(PAGER, json=body)
        assert response.status_code == 400, body
        assert error_of(response)["errorCode"] == code
    missing = alice_api.post(PAGER, json={"replyOn": 5, "text": "x"})
    assert missing.status_code == 404
    assert sandbox.outbox() == []
    assert list_messages(alice_api)["records"] == []
