from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from crm.models import (
    CallLog,
    Company,
    Contact,
    ContactChange,
    ContactImport,
    ContactPhone,
    Disposition,
    MessageLog,
    Note,
    User,
)
from crm.phones import InvalidPhoneNumber
from crm.services import (
    ContactState,
    company_delete,
    company_refresh_derived,
    contact_change_begin,
    contact_change_record,
    contact_refresh_derived,
    phone_row_values,
)

ADMIN = ContactChange.Via.ADMIN
RECENT_CHANGES = 10


def _staff(request: HttpRequest) -> User:
    """Who makes an admin change: the admin site lets only signed-in staff in."""
    return cast(User, request.user)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "extension_number",
        "is_staff",
        "is_active",
    )
    list_filter = ("groups", "is_staff", "is_active")
    search_fields = ("username", "first_name", "last_name", "email", "extension_number")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("RingCentral", {"fields": ("extension_number",)}),
    )


def save_edited_fields(obj: Company | Contact, form: ModelForm[Any], change: bool) -> None:
    """Save only what the admin form edits: a full save would write back denormalised columns
    (last activity) read before a concurrent call or message moved them."""
    if change:
        obj.save(update_fields=[*form.changed_data, "updated_at"])
    else:
        obj.save()


class PhoneAdminForm(forms.ModelForm):
    """A number as typed; its E.164 form and matching keys are derived, never typed."""

    class Meta:
        model = ContactPhone
        fields = ("raw", "kind")

    def clean_raw(self) -> str:
        raw = self.cleaned_data["raw"]
        try:
            self.derived = phone_row_values(raw=raw)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(f"'{raw}' {exc}") from exc
        return str(self.derived["raw"])

    def save(self, commit: bool = True) -> ContactPhone:
        for name, value in getattr(self, "derived", {}).items():
            setattr(self.instance, name, value)
        phone: ContactPhone = super().save(commit)
        return phone


class ContactAdminForm(forms.ModelForm):
    """Carries a contact's state from before an admin change, from save_model (which takes it)
    to save_related (which logs the change)."""

    contact_before: ContactState | None


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    form = PhoneAdminForm
    extra = 1
    fields = ("raw", "kind", "e164", "country_assumed")
    readonly_fields = ("e164", "country_assumed")


class NoteInline(admin.StackedInline):
    model = Note
    extra = 0
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "domain", "contact_count", "last_activity_at")
    search_fields = ("name", "domain", "industry")
    list_filter = ("industry",)
    readonly_fields = ("last_activity_at", "created_at", "updated_at")
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        rows: QuerySet[Company] = (
            super().get_queryset(request).annotate(contact_count=Count("contacts"))
        )
        return rows

    @admin.display(ordering="contact_count", description="Contacts")
    def contact_count(self, obj: Any) -> int:  # a Company annotated by get_queryset
        return int(obj.contact_count)

    def save_model(
        self, request: HttpRequest, obj: Company, form: ModelForm[Any], change: bool
    ) -> None:
        save_edited_fields(obj, form, change)
        company_refresh_derived(company=obj)

    def delete_model(self, request: HttpRequest, obj: Company) -> None:
        company_delete(company=obj, by=_staff(request), via=ADMIN)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Company]) -> None:
        for company in queryset:
            company_delete(company=company, by=_staff(request), via=ADMIN)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "company",
        "email",
        "primary_phone",
        "status",
        "owner",
        "last_activity_at",
    )
    list_filter = ("status", "owner", "created_at")
    list_select_related = ("company", "owner")
    search_fields = (
        "first_name",
        "last_name",
        "email",
        "secondary_email",
        "company__name",
        "phones__e164",
    )
    autocomplete_fields = ("company", "owner")
    readonly_fields = ("last_activity_at", "created_at", "updated_at", "recent_changes")
    fields = (
        ("first_name", "last_name"),
        "title",
        "company",
        ("email", "secondary_email"),
        ("status", "owner"),
        ("last_activity_at", "created_at", "updated_at"),
        "recent_changes",
    )
    form = ContactAdminForm
    inlines = (ContactPhoneInline, NoteInline)
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return super().get_queryset(request).prefetch_related("phones")

    @admin.display(description="Phone")
    def primary_phone(self, obj: Contact) -> str:
        phones = list(obj.phones.all())
        return phones[0].e164 if phones else "—"

    @admin.display(description="Changes")
    def recent_changes(self, obj: Contact) -> str:
        if obj.pk is None:
            return "—"
        changes = obj.change_log.select_related("by").order_by("-at", "-id")[:RECENT_CHANGES]
        rows = format_html_join(
            "",
            "<li>{} · {} · {}: {}</li>",
            (
                (f"{c.at:%Y-%m-%d %H:%M}", c.by or "System", c.get_via_display(), change_summary(c))
                for c in changes
            ),
        )
        url = reverse("admin:crm_contactchange_changelist") + f"?contact__id__exact={obj.pk}"
        return format_html('<ul>{}</ul><a href="{}">Every change</a>', rows, url)

    def save_model(
        self, request: HttpRequest, obj: Contact, form: ContactAdminForm, change: bool
    ) -> None:
        # The state before, for the change log written once the numbers are saved too.
        form.contact_before = contact_change_begin(contact_id=obj.pk) if change else None
        save_edited_fields(obj, form, change)

    def save_related(
        self,
        request: HttpRequest,
        form: ContactAdminForm,
        formsets: Iterable[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        contact_refresh_derived(contact=form.instance)
        contact_change_record(
            contact_id=form.instance.pk, before=form.contact_before, by=_staff(request), via=ADMIN
        )


def change_summary(change: ContactChange) -> str:
    return "; ".join(
        f"{label}: {new}"
        if change.action == ContactChange.Action.CREATED
        else f"{label}: {old or '—'} → {new or '—'}"
        for label, old, new in change.lines
    )


@admin.register(ContactChange)
class ContactChangeAdmin(admin.ModelAdmin):
    """The contacts' change log: written with each change, read here, never edited."""

    list_display = ("at", "contact", "action", "by", "via", "summary")
    list_filter = ("action", "via", "at")
    list_select_related = ("contact", "by")
    search_fields = ("contact__first_name", "contact__last_name", "by__username")
    date_hierarchy = "at"
    fields = ("contact", "at", "action", "by", "via", "summary")
    readonly_fields = fields

    @admin.display(description="What changed")
    def summary(self, obj: ContactChange) -> str:
        return change_summary(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ContactChange | None = None) -> bool:
        return False


@admin.register(ContactPhone)
class ContactPhoneAdmin(admin.ModelAdmin):
    form = PhoneAdminForm
    list_display = ("e164", "raw", "kind", "contact", "country_assumed")
    list_filter = ("kind", "country_assumed")
    list_select_related = ("contact",)
    search_fields = ("e164", "raw", "national_number", "contact__first_name", "contact__last_name")
    autocomplete_fields = ("contact",)
    fields = ("contact", "raw", "kind", "e164", "national_number", "country_assumed", "tail")
    readonly_fields = ("e164", "national_number", "country_assumed", "tail")

    def save_model(
        self, request: HttpRequest, obj: ContactPhone, form: PhoneAdminForm, change: bool
    ) -> None:
        # A number moved to another contact changes both.
        stored = ContactPhone.objects.filter(pk=obj.pk).values_list("contact_id", flat=True)
        contact_ids = sorted({obj.contact_id, *(stored if change else [])})
        before = {pk: contact_change_begin(contact_id=pk) for pk in contact_ids}
        super().save_model(request, obj, form, change)
        contact_refresh_derived(contact=obj.contact)
        for pk in contact_ids:
            contact_change_record(contact_id=pk, before=before[pk], by=_staff(request), via=ADMIN)

    def delete_model(self, request: HttpRequest, obj: ContactPhone) -> None:
        self.delete_queryset(request, ContactPhone.objects.filter(pk=obj.pk))

    @transaction.atomic  # the changelist's delete action runs outside the admin's transactions
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ContactPhone]) -> None:
        contact_ids = sorted(set(queryset.values_list("contact_id", flat=True)))
        before = {pk: contact_change_begin(contact_id=pk) for pk in contact_ids}
        queryset.delete()
        for pk in contact_ids:
            contact_change_record(contact_id=pk, before=before[pk], by=_staff(request), via=ADMIN)


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "is_active", "position", "call_count")
    list_editable = ("is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("name", "description")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Disposition]:
        rows: QuerySet[Disposition] = (
            super().get_queryset(request).annotate(call_count=Count("calls"))
        )
        return rows

    @admin.display(ordering="call_count", description="Calls")
    def call_count(self, obj: Any) -> int:  # a Disposition annotated by get_queryset
        return int(obj.call_count)


class HasRecordingFilter(admin.SimpleListFilter):
    title = "recording"
    parameter_name = "recording"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> tuple[tuple[str, str], ...]:
        return (("yes", "With recording"), ("no", "Without recording"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[CallLog]) -> QuerySet[CallLog]:
        if self.value() == "yes":
            return queryset.exclude(recording_id="")
        if self.value() == "no":
            return queryset.filter(recording_id="")
        return queryset


CALL_RC_FIELDS = (
    "rc_id",
    "session_id",
    "telephony_session_id",
    "call_type",
    "direction",
    "action",
    "result",
    "reason",
    "start_time",
    "duration_seconds",
    "from_number",
    "from_name",
    "from_extension_number",
    "to_number",
    "to_name",
    "to_extension_number",
    "remote_number",
    "remote_e164",
    "agent",
    "recording_id",
    "recording_content_uri",
    "recording_type",
    "recording_duration_seconds",
    "rc_last_modified",
)


@admin.register(CallLog)
class CallLogAdmin(admin.ModelAdmin):
    """Calls come from RingCentral: what it sent is read-only; the contact link, disposition and
    notes are ours to correct."""

    list_display = (
        "start_time",
        "direction",
        "result",
        "remote_number",
        "contact",
        "agent",
        "duration_seconds",
        "disposition",
        "has_recording",
    )
    list_filter = ("direction", "result", "call_type", HasRecordingFilter, "disposition", "agent")
    list_select_related = ("contact", "agent", "disposition")
    search_fields = (
        "rc_id",
        "session_id",
        "telephony_session_id",
        "remote_number",
        "remote_e164",
        "from_name",
        "to_name",
        "recording_id",
        "contact__first_name",
        "contact__last_name",
    )
    date_hierarchy = "start_time"
    autocomplete_fields = ("contact",)
    readonly_fields = (*CALL_RC_FIELDS, "created_at", "updated_at")
    fieldsets = (
        ("Ours", {"fields": ("contact", "disposition", "notes")}),
        ("From RingCentral", {"fields": CALL_RC_FIELDS}),
        ("Stored", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(boolean=True, description="Recording")
    def has_recording(self, obj: CallLog) -> bool:
        return obj.has_recording

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


MESSAGE_RC_FIELDS = (
    "rc_id",
    "conversation_id",
    "message_type",
    "direction",
    "status",
    "read_status",
    "subject",
    "from_number",
    "from_name",
    "to",
    "remote_number",
    "remote_e164",
    "attachments",
    "fax_page_count",
    "creation_time",
    "agent",
    "rc_last_modified",
)


@admin.register(MessageLog)
class MessageLogAdmin(admin.ModelAdmin):
    list_display = (
        "creation_time",
        "message_type",
        "direction",
        "status",
        "remote_number",
        "contact",
        "agent",
    )
    list_filter = ("message_type", "direction", "status", "agent")
    list_select_related = ("contact", "agent")
    search_fields = (
        "rc_id",
        "conversation_id",
        "remote_number",
        "remote_e164",
        "from_name",
        "subject",
        "contact__first_name",
        "contact__last_name",
    )
    date_hierarchy = "creation_time"
    autocomplete_fields = ("contact",)
    readonly_fields = (*MESSAGE_RC_FIELDS, "created_at", "updated_at")
    fieldsets = (
        ("Ours", {"fields": ("contact",)}),
        ("From RingCentral", {"fields": MESSAGE_RC_FIELDS}),
        ("Stored", {"fields": ("created_at", "updated_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "contact", "author", "excerpt")
    list_filter = ("author", "created_at")
    list_select_related = ("contact", "author")
    search_fields = ("body", "contact__first_name", "contact__last_name")
    autocomplete_fields = ("contact", "author")
    date_hierarchy = "created_at"

    @admin.display(description="Note")
    def excerpt(self, obj: Note) -> str:
        return obj.body[:80]


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "file_name", "created_by", "status", "applied_at")
    list_filter = ("status",)
    search_fields = ("file_name", "created_by__username")
    readonly_fields = (
        "created_by",
        "file_name",
        "status",
        "plan",
        "result",
        "created_at",
        "applied_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
