"""Forms validate what people type; services do the writing."""

from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.forms import formset_factory
from django.http import QueryDict

from crm.ids import MAX_ID
from crm.models import Company, Contact, ContactPhone, Direction, Disposition, MessageLog, User
from crm.phones import InvalidPhoneNumber, phone_normalise
from crm.selectors import ContactFilters, LogFilters
from crm.services import ContactData, PhoneInput

MAX_PHONES = 10
CALL_RESULTS = (
    "Accepted",
    "Call connected",
    "Missed",
    "Voicemail",
    "No Answer",
    "Busy",
    "Rejected",
    "Hang Up",
    "In Progress",
)
MESSAGE_STATUSES = ("Queued", "Sent", "Delivered", "DeliveryFailed", "SendingFailed", "Received")
# Dates a log filter accepts: every call and message is well inside, and the day arithmetic and
# time-zone conversions of the filter cannot overflow Python's or a database's date range.
FILTER_MIN_DATE = date(1900, 1, 1)
FILTER_MAX_DATE = date(2999, 12, 31)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class ContactForm(forms.Form):
    first_name = forms.CharField(
        max_length=100, required=False, widget=forms.TextInput(attrs={"autofocus": True})
    )
    last_name = forms.CharField(max_length=100, required=False)
    title = forms.CharField(max_length=150, required=False)
    company = forms.CharField(
        max_length=200,
        required=False,
        help_text="Pick an existing company or type a new name to create it.",
    )
    email = forms.EmailField(required=False, max_length=254)
    secondary_email = forms.EmailField(required=False, max_length=254, label="Other email")
    status = forms.ChoiceField(choices=Contact.Status.choices, initial=Contact.Status.LEAD)
    owner = UserChoiceField(queryset=_users(), required=False, empty_label="Nobody")

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        owner_editable: bool,
        kept_owner: User | None = None,
        **kwargs: Any,
    ) -> None:
        """`kept_owner` is the contact's owner now (for a new contact, the person adding it).
        `owner_editable` False (an agent): the owner is shown read-only and, unless the
        request names one, stays `kept_owner`. One it names anyway reaches the service, which
        refuses a change."""
        if not owner_editable and data is not None and "owner" not in data:
            data = data.copy()
            data["owner"] = str(kept_owner.pk) if kept_owner else ""
        super().__init__(data, **kwargs)
        # Active people, and whoever owns the contact now even if deactivated since: otherwise
        # an agent could not save it at all and a supervisor's save would drop its owner.
        owners = _users()
        if kept_owner is not None and not kept_owner.is_active:
            owners = (owners | User.objects.filter(pk=kept_owner.pk)).order_by(
                "first_name", "last_name", "username"
            )
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owners
        if not owner_editable:
            self.fields["owner"].widget.attrs["disabled"] = True
            self.fields["owner"].help_text = "Only a supervisor can change the owner."

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not (cleaned.get("first_name", "").strip() or cleaned.get("last_name", "").strip()):
            self.add_error("first_name", "Enter a first or last name.")
        return cleaned

    def contact_data(self, *, company: Company | None) -> ContactData:
        """The contact's data; `company` is the one named in the form (the view finds or
        creates it)."""
        data = self.cleaned_data
        return ContactData(
            first_name=data["first_name"],
            last_name=data["last_name"],
            title=data["title"],
            company=company,
            email=data["email"],
            secondary_email=data["secondary_email"],
            owner=data["owner"],
            status=data["status"],
        )

    @staticmethod
    def initial_for(contact: Contact) -> dict[str, Any]:
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "title": contact.title,
            "company": contact.company.name if contact.company else "",
            "email": contact.email,
            "secondary_email": contact.secondary_email,
            "status": contact.status,
            "owner": contact.owner_id,
        }


def _checked_number(text: str) -> str:
    """A number as typed (stripped), or a ValidationError that says why it is refused."""
    raw = text.strip()
    if raw:
        try:
            phone_normalise(raw)
        except InvalidPhoneNumber as exc:
            raise ValidationError(f"'{raw}' {exc}") from exc
    return raw


class PhoneForm(forms.Form):
    raw = forms.CharField(max_length=64, required=False, label="Number")
    kind = forms.ChoiceField(choices=ContactPhone.Kind.choices, label="Type")

    def clean_raw(self) -> str:
        return _checked_number(self.cleaned_data["raw"])


class BasePhoneFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        for index, form in enumerate(self.forms):
            raw = form.cleaned_data.get("raw", "")
            if not raw:
                continue
            e164 = phone_normalise(raw).e164
            if e164 in seen:
                form.add_error("raw", f"Same number as number {seen[e164] + 1}.")
            else:
                seen[e164] = index

    def phone_inputs(self) -> list[PhoneInput]:
        return [
            PhoneInput(form.cleaned_data["raw"], form.cleaned_data["kind"])
            for form in self.forms
            if form.cleaned_data.get("raw")
        ]


PhoneFormSet = cast(
    type[BasePhoneFormSet],
    formset_factory(
        PhoneForm, formset=BasePhoneFormSet, extra=0, max_num=MAX_PHONES, validate_max=True
    ),
)


def phone_formset(
    *, data: QueryDict | None = None, contact: Contact | None = None
) -> BasePhoneFormSet:
    if data is not None:
        return PhoneFormSet(data, prefix="phones")
    initial = [{"raw": p.raw, "kind": p.kind} for p in contact.phones.all()] if contact else []
    formset = PhoneFormSet(initial=initial or [{"kind": ContactPhone.Kind.MOBILE}], prefix="phones")
    return formset


class CompanyForm(forms.Form):
    name = forms.CharField(max_length=200)
    domain = forms.CharField(max_length=200, required=False, help_text="e.g. initech.com")
    industry = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(max_length=64, required=False, label="Main line")
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_phone(self) -> str:
        return _checked_number(self.cleaned_data["phone"])


class NoteForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Add a note…"}),
        max_length=10_000,
        label="Note",
        error_messages={"required": "Write something first."},
    )


class CallOutcomeForm(forms.Form):
    disposition = forms.ModelChoiceField(
        queryset=Disposition.objects.filter(is_active=True), required=False, empty_label="—"
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["disposition"]
        ).queryset = Disposition.objects.filter(is_active=True)


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Contact.Status.choices],
        required=False,
        widget=forms.Select(attrs={"aria-label": "Status"}),
    )
    owner = UserChoiceField(
        queryset=_users(),
        required=False,
        empty_label="Any owner",
        widget=forms.Select(attrs={"aria-label": "Owner"}),
    )
    company = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = _users()

    def filters(self) -> ContactFilters:
        self.is_valid()
        data = self.cleaned_data  # only the fields that passed validation
        owner = data.get("owner")
        return ContactFilters(
            query=data.get("q", ""),
            status=data.get("status", ""),
            owner_id=owner.pk if owner else None,
            company_id=data.get("company"),
        )


def _validate_filter_date(value: date) -> None:
    if not FILTER_MIN_DATE <= value <= FILTER_MAX_DATE:
        raise ValidationError(
            f"{value.isoformat()} is out of range: pick a date between "
            f"{FILTER_MIN_DATE.isoformat()} and {FILTER_MAX_DATE.isoformat()}."
        )


def _filter_date_field() -> forms.DateField:
    return forms.DateField(
        required=False,
        validators=[_validate_filter_date],
        widget=forms.DateInput(
            attrs={
                "type": "date",
                "min": FILTER_MIN_DATE.isoformat(),
                "max": FILTER_MAX_DATE.isoformat(),
            }
        ),
    )


class LogFilterForm(forms.Form):
    """Filters of the calls and messages lists. Invalid values are ignored with a message; the
    valid ones still apply."""

    q = forms.CharField(required=False, max_length=200)
    direction = forms.ChoiceField(
        choices=[("", "Any direction"), *Direction.choices], required=False
    )
    date_from = _filter_date_field()
    date_to = _filter_date_field()
    contact = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    agent = UserChoiceField(queryset=_users(), required=False, empty_label="Every agent")

    def __init__(self, *args: Any, show_agent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if show_agent:
            cast(forms.ModelChoiceField, self.fields["agent"]).queryset = _users()
        else:
            del self.fields["agent"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to",
                f"The end date ({end.isoformat()}) is before the start date ({start.isoformat()}).",
            )
        return cleaned

    def filters(self) -> LogFilters:
        self.is_valid()
        data = self.cleaned_data  # only the fields that passed validation
        agent = data.get("agent")
        return LogFilters(
            query=data.get("q", ""),
            direction=data.get("direction", ""),
            result=data.get("result", ""),
            status=data.get("status", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            contact_id=data.get("contact"),
            agent_id=agent.pk if agent else None,
            with_recording=data.get("recording", False),
        )


class CallFilterForm(LogFilterForm):
    result = forms.ChoiceField(
        choices=[("", "Any result"), *[(r, r) for r in CALL_RESULTS]], required=False
    )
    recording = forms.BooleanField(required=False, label="With recording")

    field_order = ["q", "direction", "result", "date_from", "date_to", "agent", "recording"]


class MessageFilterForm(LogFilterForm):
    result = forms.ChoiceField(
        choices=[("", "Any type"), *MessageLog.Type.choices], required=False, label="Type"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *[(s, s) for s in MESSAGE_STATUSES]], required=False
    )

    field_order = ["q", "direction", "result", "status", "date_from", "date_to", "agent"]


def _megabytes(size: int) -> str:
    return f"{round(size / 1024 / 1024, 1):g} MB"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = _megabytes(settings.CONTACT_IMPORT_MAX_BYTES)
        self.fields["file"].help_text = f"UTF-8 CSV with a header row, at most {limit}."

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.CONTACT_IMPORT_MAX_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{_megabytes(settings.CONTACT_IMPORT_MAX_BYTES)}. Split it into smaller files."
            )
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError("Upload a .csv file (in a spreadsheet: File → Save as → CSV).")
        return cast(UploadedFile, upload)
