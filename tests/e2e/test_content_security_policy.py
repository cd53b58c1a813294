"""The main pages, Django admin's included, work under the Content-Security-Policy: chromium
reports no violation and no console error on any of them."""

import pytest
from django.contrib.auth import get_user_model

from crm.contact_import import contact_import_preview
from crm.roles import SUPERVISORS, assign_role
from crm.services import call_log_upsert, message_log_upsert
from tests.e2e.test_contacts import sign_in
from tests.factories import call_record, contact, message_record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


def test_main_pages_and_admin_run_without_policy_violations_or_console_errors(asgi_server, page):
    # given a supervisor who is also an admin, and a contact with a call and a text
    sofia = get_user_model().objects.create_superuser(
        "sofia", "sofia@example.com", "pw-for-tests", first_name="Sofia"
    )
    assign_role(sofia, SUPERVISORS)
    casey = contact(company="Initech", phones=["+16505550100"])
    call = call_log_upsert(record=call_record(rc_id="CALL-1", agent=sofia))
    message = message_log_upsert(record=message_record(rc_id="SMS-1", agent=sofia))
    preview = contact_import_preview(
        user=sofia, file_name="people.csv", data=b"first_name,mobile_phone\nDana,+16505550111\n"
    )
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.context.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, asgi_server, "sofia")
    pages = [
        "/",
        "/contacts/",
        f"/contacts/{casey.pk}/",
        f"/contacts/{casey.pk}/edit/",
        "/contacts/new/",
        "/companies/",
        f"/companies/{casey.company_id}/",
        "/calls/",
        f"/calls/{call.pk}/",
        "/messages/",
        f"/messages/{message.pk}/",
        "/contacts/import/",
        f"/contacts/import/{preview.pk}/",
        "/ringcentral/",
        "/admin/",
        f"/admin/crm/contact/{casey.pk}/change/",
        "/admin/crm/calllog/",
    ]
    # when they open each page, and use the live search
    for path in pages:
        response = page.goto(asgi_server + path, wait_until="networkidle")
        assert response.status == 200, path
        assert response.headers["content-security-policy"]
        problems += [f"{path}: {v}" for v in page.evaluate("window.__violations")]
    page.goto(asgi_server + "/contacts/", wait_until="networkidle")
    page.get_by_role("searchbox").fill("Casey")
    page.wait_for_load_state("networkidle")
    problems += [f"search: {v}" for v in page.evaluate("window.__violations")]
    # then nothing was refused and nothing failed
    assert problems == []
