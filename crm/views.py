"""CRM pages. Thin: validate, check permission, call one service or selector, render.

Calls, messages and recordings are always read through the visibility selectors, so a log that
is not the user's is a 404 whichever way it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors
from crm.contact_export import contacts_csv_lines
from crm.contact_import import (
    INLINE_ROWS,
    ImportFileError,
    ImportNotApplicable,
    contact_import_apply,
    contact_import_discard,
    contact_import_preview,
    contact_import_progress,
    imports_visible_to,
    rows_to_apply,
    stored_plan,
)
from crm.contact_import_queue import contact_import_apply_later
from crm.forms import (
    CallFilterForm,
    CallOutcomeForm,
    CompanyForm,
    ContactFilterForm,
    ContactForm,
    ImportUploadForm,
    LogFilterForm,
    MessageFilterForm,
    NoteForm,
    add_service_errors,
    phone_formset,
)
from crm.http import AuthenticatedHttpRequest
from crm.ids import parse_id
from crm.matching import contact_match_number
from crm.models import Company, Contact, ContactImport, User
from crm.pagination import CappedPaginator
from crm.phones import InvalidPhoneNumber, phone_normalise
from crm.roles import is_admin, is_supervisor, may_change_owner, sees_all_logs
from crm.services import (
    CompanyData,
    call_log_set_outcome,
    company_create,
    company_delete,
    company_get_or_create,
    company_update,
    contact_create,
    contact_delete,
    contact_update,
    note_create,
)

PAGE_SIZE = 25
IMPORT_PAGE_SIZE = 100


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _text_param(request: HttpRequest, name: str, max_length: int = 200) -> str:
    """A free-text query parameter, stripped, without NUL characters (PostgreSQL refuses them)."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:max_length]


def _page(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    size: int = PAGE_SIZE,
    *,
    count_in_order: bool = False,
) -> Page[Any]:
    paginator: Paginator[Any]
    if isinstance(rows, QuerySet):
        paginator = CappedPaginator(rows, size, count_in_order=count_in_order)
    else:
        paginator = Paginator(rows, size)
    return paginator.get_page(request.GET.get("page"))


def _render_list(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """Full page, or only the results when htmx asks as the person types."""
    response = render(request, partial if _is_htmx(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _last_activity_seen(
    user: User, record: Contact | Company, page: selectors.TimelinePage
) -> datetime:
    """The last activity to show this user: the stored one includes every agent's calls and
    messages, so an agent who sees only their own gets the latest they can see (or when the
    record was added). Edits of the record are not activity."""
    if sees_all_logs(user):
        return record.last_activity_at
    latest = next((e.at for e in page.entries if e.kind != "change"), record.created_at)
    return max(record.created_at, latest)


def _may_delete(user: User) -> bool:
    return is_supervisor(user) or is_admin(user)


# --- Contacts --------------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET)
    filters = form.filters()
    company = Company.objects.filter(pk=filters.company_id).first() if filters.company_id else None
    context = {
        "form": form,
        "filters": filters,
        "company": company,
        "page": _page(request, selectors.contact_list(filters=filters)),
        "any_contacts": Contact.objects.exists(),
        "sees_all": sees_all_logs(request.user),
    }
    return _render_list(request, "crm/contacts/list.html", "crm/contacts/_results.html", context)


@login_required
@require_GET
def contact_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    contacts = selectors.contact_list(filters=ContactFilterForm(request.GET).filters())
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response = StreamingHttpResponse(contacts_csv_lines(contacts), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    return response


def _contact_form_page(request: AuthenticatedHttpRequest, contact: Contact | None) -> HttpResponse:
    owner: dict[str, Any] = {
        "owner_editable": may_change_owner(request.user),
        "kept_owner": contact.owner if contact else request.user,
    }
    if request.method == "POST":
        form = ContactForm(request.POST, **owner)
        phones = phone_formset(data=request.POST)
        if form.is_valid() and phones.is_valid():
            try:
                with transaction.atomic():
                    name = form.cleaned_data["company"].strip()
                    data = form.contact_data(
                        company=company_get_or_create(name=name) if name else None
                    )
                    if contact is None:
                        contact = contact_create(
                            data=data, phones=phones.phone_inputs(), by=request.user
                        )
                        messages.success(request, f"{contact.name} added.")
                    else:
                        contact_update(
                            contact=contact,
                            data=data,
                            phones=phones.phone_inputs(),
                            by=request.user,
                        )
                        messages.success(request, f"{contact.name} saved.")
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("crm:contact-detail", pk=contact.pk)
    elif contact is None:
        # "New contact" on a company's page names the company.
        company_name = _text_param(request, "company")
        form = ContactForm(initial={"owner": request.user.pk, "company": company_name}, **owner)
        phones = phone_formset()
    else:
        form = ContactForm(initial=ContactForm.initial_for(contact), **owner)
        phones = phone_formset(contact=contact)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "crm/contacts/form.html",
        {
            "form": form,
            "phones": phones,
            "contact": contact,
            "may_delete": _may_delete(request.user),
            "phone_region": settings.PHONE_DEFAULT_REGION,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _contact_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("company", "owner"), pk=pk)
    return _contact_form_page(request, contact)


@login_required
@require_POST
def contact_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    if not _may_delete(request.user):
        raise PermissionDenied("Only supervisors can delete contacts.")
    name = contact.name
    contact_delete(contact=contact)
    messages.success(request, f"{name} deleted.")
    return redirect("crm:contacts")


@login_required
@require_GET
def contact_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.select_related("company", "owner").prefetch_related("phones"), pk=pk
    )
    timeline = selectors.contact_timeline(user=request.user, contact=contact)
    return render(
        request,
        "crm/contacts/detail.html",
        {
            "contact": contact,
            "timeline": timeline,
            "note_form": NoteForm(),
            "last_activity": _last_activity_seen(request.user, contact, timeline),
        },
    )


@login_required
@require_GET
def contact_timeline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    try:
        timeline = selectors.contact_timeline(
            user=request.user, contact=contact, cursor=request.GET.get("cursor") or None
        )
    except selectors.InvalidCursor:
        # Never echo the cursor: it is whatever the address said.
        return render(
            request,
            "400.html",
            {"message": "That is not a timeline position. Reload the contact's page."},
            status=400,
        )
    return render(
        request, "crm/contacts/_timeline_entries.html", {"contact": contact, "timeline": timeline}
    )


@login_required
@require_POST
def note_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_create(contact=contact, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
    if not _is_htmx(request):
        if form.errors:
            messages.error(
                request, " ".join(str(e) for e in form.errors.get("body", ["Note not saved."]))
            )
        return redirect("crm:contact-detail", pk=contact.pk)
    timeline = selectors.contact_timeline(user=request.user, contact=contact)
    return render(
        request,
        "crm/contacts/_activity.html",
        {
            "contact": contact,
            "timeline": timeline,
            "note_form": form if form.errors else NoteForm(),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def phone_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Inline validation of a number as it is typed: its E.164 form or why it is refused, and
    who else has it."""
    number = request.GET.get("number") or next(
        (request.GET[k] for k in request.GET if k.endswith("-raw")), ""
    )
    context: dict[str, Any] = {"number": number.strip()}
    if number.strip():
        try:
            context["normalised"] = phone_normalise(number)
        except InvalidPhoneNumber as exc:
            context["error"] = f"'{number.strip()}' {exc}"
        else:
            exclude = request.GET.get("contact")
            context["others"] = [
                c
                for c in contact_match_number(number=context["normalised"].e164).contacts
                if str(c.pk) != exclude
            ][:3]
    return render(request, "crm/contacts/_phone_check.html", context)


@login_required
@require_GET
def email_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    other = selectors.contact_email_taken(
        email=_text_param(request, "email", 254), exclude_id=parse_id(request.GET.get("contact"))
    )
    return render(request, "crm/contacts/_email_check.html", {"other": other})


@login_required
@require_GET
def company_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    companies = selectors.company_list(query=_text_param(request, "company"))[:10]
    return render(request, "crm/companies/_options.html", {"companies": companies})


# --- Import and export -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            contact_import = contact_import_preview(
                user=request.user, file_name=upload.name, data=upload.read()
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("crm:import-preview", pk=contact_import.pk)
    return render(
        request,
        "crm/contacts/import.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def import_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact_import = get_object_or_404(imports_visible_to(user=request.user), pk=pk)
    plan = stored_plan(contact_import)
    action = request.GET.get("action", "")
    rows = [row for row in plan.rows if row.action == action] if action else plan.rows
    return render(
        request,
        "crm/contacts/import_preview.html",
        {
            "contact_import": contact_import,
            "plan": plan,
            "action": action,
            "rows": _page(request, rows, IMPORT_PAGE_SIZE),
            "counts": {action: plan.count(action) for action in ("create", "update", "refuse")},
        },
    )


@login_required
@require_POST
def import_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact_import = get_object_or_404(imports_visible_to(user=request.user), pk=pk)
    rows = rows_to_apply(stored_plan(contact_import))
    try:
        if rows > INLINE_ROWS:
            contact_import_apply_later(contact_import=contact_import)
            messages.info(request, f"Importing {rows} contacts; this page follows the progress.")
        else:
            result = contact_import_apply(contact_import=contact_import)
            messages.success(
                request,
                f"Import done: {result['created']} created, {result['updated']} updated, "
                f"{len(result['refused'])} refused.",
            )
    except ImportNotApplicable as exc:
        messages.error(request, str(exc))
    return redirect("crm:import-preview", pk=contact_import.pk)


@login_required
@require_GET
def import_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Polled by the preview page while a worker applies the import; reloads it when done."""
    contact_import = get_object_or_404(imports_visible_to(user=request.user), pk=pk)
    if contact_import.status != ContactImport.Status.APPLYING:
        response = HttpResponse("Done.")
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "crm/contacts/_import_progress.html",
        {
            "contact_import": contact_import,
            "done": contact_import_progress(import_id=contact_import.pk),
            "total": len(contact_import.plan["rows"]),
        },
    )


@login_required
@require_POST
def import_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact_import = get_object_or_404(imports_visible_to(user=request.user), pk=pk)
    if contact_import_discard(contact_import=contact_import):
        messages.info(request, f"Import of {contact_import.file_name} discarded; nothing changed.")
        return redirect("crm:contacts")
    messages.error(request, "This import was applied already.")
    return redirect("crm:import-preview", pk=contact_import.pk)


# --- Companies -------------------------------------------------------------------------------


@login_required
@require_GET
def company_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = _text_param(request, "q")
    context = {
        "query": query,
        "page": _page(request, selectors.company_list(query=query)),
        "any_companies": Company.objects.exists(),
        "sees_all": sees_all_logs(request.user),
    }
    return _render_list(request, "crm/companies/list.html", "crm/companies/_results.html", context)


@login_required
@require_GET
def company_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    contacts = selectors.contact_list(filters=selectors.ContactFilters(company_id=company.pk))
    activity = selectors.company_activity(user=request.user, company=company)
    return render(
        request,
        "crm/companies/detail.html",
        {
            "company": company,
            "contacts": _page(request, contacts),
            "activity": activity,
            "last_activity": _last_activity_seen(request.user, company, activity),
            "sees_all": sees_all_logs(request.user),
        },
    )


def _company_form_page(request: AuthenticatedHttpRequest, company: Company | None) -> HttpResponse:
    if request.method == "POST":
        form = CompanyForm(request.POST)
        if form.is_valid():
            data = CompanyData(**form.cleaned_data)
            try:
                if company is None:
                    company = company_create(data=data)
                    messages.success(request, f"{company.name} added.")
                else:
                    company = company_update(company=company, data=data)
                    messages.success(request, f"{company.name} saved.")
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("crm:company-detail", pk=company.pk)
    elif company is None:
        form = CompanyForm()
    else:
        form = CompanyForm(
            initial={name: getattr(company, name) for name in CompanyForm.base_fields}
        )
    return render(
        request,
        "crm/companies/form.html",
        {"form": form, "company": company, "may_delete": _may_delete(request.user)},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _company_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _company_form_page(request, get_object_or_404(Company, pk=pk))


@login_required
@require_POST
def company_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    if not _may_delete(request.user):
        raise PermissionDenied("Only supervisors can delete companies.")
    company_delete(company=company, by=request.user)
    messages.success(request, f"{company.name} deleted; its contacts were kept.")
    return redirect("crm:companies")


# --- Calls, messages, recordings -------------------------------------------------------------


def _log_list(
    request: AuthenticatedHttpRequest,
    *,
    form_class: type[LogFilterForm],
    selector: Callable[..., QuerySet[Any]],
    kind: str,
) -> HttpResponse:
    """A call or message log list: the filter form, the rows this user may see, a page."""
    sees_all = sees_all_logs(request.user)
    form = form_class(request.GET, show_agent=sees_all)
    filters = form.filters()
    context = {
        "form": form,
        "filters": filters,
        "sees_all": sees_all,
        "contact": Contact.objects.filter(pk=filters.contact_id).first()
        if filters.contact_id
        else None,
        "page": _page(request, selector(user=request.user, filters=filters), count_in_order=True),
    }
    return _render_list(request, f"crm/{kind}/list.html", f"crm/{kind}/_results.html", context)


@login_required
@require_GET
def call_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _log_list(
        request, form_class=CallFilterForm, selector=selectors.call_log_list, kind="calls"
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.call_logs_visible_to(user=request.user), pk=pk)
    if request.method == "POST":
        form = CallOutcomeForm(request.POST)
        if form.is_valid():
            try:
                call_log_set_outcome(
                    call=call,
                    disposition=form.cleaned_data["disposition"],
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Call outcome saved.")
                return redirect("crm:call-detail", pk=call.pk)
    else:
        form = CallOutcomeForm(initial={"disposition": call.disposition, "notes": call.notes})
    return render(
        request,
        "crm/calls/detail.html",
        {"call": call, "form": form, "sees_all": sees_all_logs(request.user)},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def recording_metadata(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """A call's recording metadata, for players and later APIs. 404 unless the user may see the
    call and it has a recording."""
    call = get_object_or_404(selectors.recordings_visible_to(user=request.user), pk=pk)
    return JsonResponse(
        {
            "call_id": call.pk,
            "recording_id": call.recording_id,
            "type": call.recording_type,
            "duration_seconds": call.recording_duration_seconds,
            "content_uri": call.recording_content_uri,
            "start_time": call.start_time.isoformat(),
            "agent_id": call.agent_id,
        }
    )


@login_required
@require_GET
def message_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _log_list(
        request, form_class=MessageFilterForm, selector=selectors.message_log_list, kind="messages"
    )


@login_required
@require_GET
def message_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(selectors.message_logs_visible_to(user=request.user), pk=pk)
    return render(
        request,
        "crm/messages/detail.html",
        {"message": message, "sees_all": sees_all_logs(request.user)},
    )
