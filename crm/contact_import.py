"""Contacts from a CSV file: first a plan of what would be created, updated and refused (each
refusal with its row and reason), stored; then applying exactly that plan, once.

A row updates an existing contact when its email matches one (any letter case), or else when
one of its numbers belongs to exactly one contact of the same name; otherwise it creates one.
A row repeating an earlier row's email, or its name and a number, is refused as a duplicate, as
is a row with an invalid value.
"""

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from crm.models import Contact, ContactChange, ContactImport, ContactPhone, User
from crm.phones import InvalidPhoneNumber, phone_normalise
from crm.services import (
    ContactData,
    PhoneInput,
    company_get_or_create,
    contact_create,
    contact_lock_for_change,
    contact_update,
    owner_change_refusal,
)

MAX_ROWS = 10_000
PROGRESS_EVERY = 100
# Plans with more rows to write than this are applied by a worker, not in the request.
INLINE_ROWS = 200

logger = logging.getLogger(__name__)
# Header names people use, after lower-casing and turning _ and - into spaces.
COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "forename"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "name": ("name", "full name", "contact", "contact name"),
    "title": ("title", "job title", "position", "role"),
    "company": ("company", "company name", "organisation", "organization", "account"),
    "email": ("email", "e mail", "email address", "e mail address", "primary email"),
    "secondary_email": (
        "secondary email",
        "other email",
        "email 2",
        "alternate email",
        "e mail 2 address",  # Outlook's export
    ),
    "status": ("status", "lead status", "stage"),
    "owner": ("owner", "owner username", "assigned to"),
    ContactPhone.Kind.MOBILE: ("mobile", "mobile phone", "cell", "cell phone", "phone"),
    ContactPhone.Kind.WORK: ("work", "work phone", "office phone", "business phone"),
    ContactPhone.Kind.HOME: ("home", "home phone"),
    ContactPhone.Kind.FAX: ("fax", "fax number", "business fax"),
    ContactPhone.Kind.OTHER: ("other phone", "phone 2", "alternate phone"),
}
PHONE_COLUMNS = tuple(ContactPhone.Kind.values)
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "title": 150,
    "company": 200,
    "email": 254,
    "secondary_email": 254,
}
_SEPARATORS = re.compile(r"\s*[;,]\s*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# .xlsx, .ods and .numbers files are zip archives.
_WORKBOOK_MAGIC = b"PK\x03\x04"

Action = Literal["create", "update", "refuse"]


class ImportFileError(ValueError):
    """The file as a whole cannot be read; `str()` says why."""


class ImportNotApplicable(ValueError):
    """The import was applied or discarded already."""


@dataclass
class PlannedRow:
    row: int  # line in the file; the header is line 1
    action: Action
    reason: str = ""
    contact_id: int | None = None
    contact_name: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    ignored_columns: list[str]

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _header_key(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def _map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    lookup = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    lookup.update({_header_key(key): key for key in COLUMNS})
    lookup.update({f"{kind} phone": kind for kind in PHONE_COLUMNS})
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        key = lookup.get(_header_key(name))
        if key is None or key in mapping:
            if name.strip():
                ignored.append(name.strip())
            continue
        mapping[key] = index
    if not {"first_name", "last_name", "name"} & mapping.keys():
        raise ImportFileError(
            "The first row must name the columns, with a name column: "
            "first_name and last_name, or name."
        )
    return mapping, ignored


def read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of an uploaded file, each row with the line of the file it starts
    on (the header is line 1). Raises ImportFileError for a file that cannot be read as a whole:
    not UTF-8 text, malformed CSV (naming the line), no rows, too many rows.

    Lines may end in LF, CRLF or a lone CR (old Mac files). Parsing is strict: a quote that is
    never closed, or text after a closing quote, refuses the file rather than merging or
    splitting rows.
    """
    if data.startswith(_WORKBOOK_MAGIC):
        raise ImportFileError(
            "The file is a spreadsheet workbook, not CSV. In your spreadsheet, use "
            "File → Save as → 'CSV UTF-8'."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'."
        ) from exc
    if (nul := text.find("\x00")) != -1:
        raise ImportFileError(
            f"The file is not CSV text: line {_line_of(text, nul)} holds a NUL character "
            "(binary data, or text saved as UTF-16). Save it from your spreadsheet as 'CSV UTF-8'."
        )
    delimiter, skip_initial_space = _sniff(text)
    # newline="": the csv module sees every line ending (LF, CRLF, CR) and counts lines by them.
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        skipinitialspace=skip_initial_space,
        strict=True,
    )
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(
            _malformed(str(exc), text=text, start=start, line=reader.line_num, delimiter=delimiter)
            + " Nothing was imported: correct the file and upload it again."
        ) from exc
    if not rows:
        raise ImportFileError("The file is empty.")
    header, body = rows[0][1], rows[1:]
    if not any(cell.strip() for _, row in body for cell in row):
        raise ImportFileError(
            "The file has a header row but no contacts below it. Nothing was imported."
        )
    if len(body) > MAX_ROWS:
        raise ImportFileError(
            f"The file has {len(body)} rows; at most {MAX_ROWS} can be imported at once. "
            "Split it into smaller files."
        )
    return header, body


def _line_of(text: str, index: int) -> int:
    return len(_LINE_BREAK.findall(text, 0, index)) + 1


def _sniff(text: str) -> tuple[str, bool]:
    """The delimiter (',', ';' or tab) and whether cells start after a space. The quote is
    always '"', doubled inside a cell: how spreadsheets write CSV."""
    sample = _LINE_BREAK.sub("\n", text[:4096])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return ",", False
    return dialect.delimiter, bool(dialect.skipinitialspace)


def _malformed(error: str, *, text: str, start: int, line: int, delimiter: str) -> str:
    """What is wrong, for a person, from the csv module's error: `start` is the line the row
    being read starts on, `line` the line it had reached."""
    row_text = "\n".join(_LINE_BREAK.split(text)[start - 1 : max(line, start)])
    if error.startswith("field larger than field limit") and '"' not in row_text:
        return (
            f"Line {start}: a cell is longer than {csv.field_size_limit() // 1024} KB, more than "
            "any contact field holds. Shorten it."
        )
    if error.startswith(("unexpected end of data", "field larger than field limit")):
        return (
            f'Line {start}: a quote (") opened in this row is never closed, so the rest of the '
            "file would run into one cell. Add the closing quote or remove the opening one."
        )
    if "expected after" in error:
        separator = "tab" if delimiter == "\t" else f"'{delimiter}'"
        return (
            f"Line {line}: a quoted cell is followed by more text before the next {separator}. "
            'Put the whole cell in quotes, doubling any quote inside it ("").'
        )
    return f"Line {line}: this is not valid CSV ({error})."


def _cell(row: list[str], mapping: dict[str, int], key: str) -> str:
    index = mapping.get(key)
    if index is None or index >= len(row):
        return ""
    value = row[index].strip()
    # Our export guards cells against spreadsheet formulas with a leading apostrophe.
    return value[1:] if value.startswith("'") else value


def _status_value(text: str) -> str | None:
    wanted = text.strip().lower()
    for value, label in Contact.Status.choices:
        if wanted in (value, label.lower()):
            return value
    return None


def _parse_row(row: list[str], mapping: dict[str, int], owners: dict[str, User]) -> dict[str, Any]:
    """The row's values, normalised. Raises ValueError with the reason it cannot be imported."""
    values: dict[str, Any] = {
        key: _cell(row, mapping, key) for key in COLUMNS if key not in PHONE_COLUMNS
    }
    if not (values["first_name"] or values["last_name"]) and values["name"]:
        first, _, last = values["name"].rpartition(" ")
        values["first_name"], values["last_name"] = (first, last) if first else (last, "")
    del values["name"]
    if not (values["first_name"] or values["last_name"]):
        raise ValueError("No name: a contact needs a first or last name.")
    for key, limit in TEXT_LIMITS.items():
        if len(values[key]) > limit:
            raise ValueError(f"{key} is longer than {limit} characters.")
    for key in ("email", "secondary_email"):
        if values[key]:
            try:
                validate_email(values[key])
            except ValidationError as exc:
                raise ValueError(f"{key} '{values[key]}' is not an email address.") from exc
    if values["status"]:
        status = _status_value(values["status"])
        if status is None:
            choices = ", ".join(label for _, label in Contact.Status.choices)
            raise ValueError(f"Status '{values['status']}' is not one of {choices}.")
        values["status"] = status
    owner_text = values.pop("owner")
    values["owner_id"] = None
    if owner_text:
        owner = owners.get(owner_text.lower())
        if owner is None:
            raise ValueError(f"Owner '{owner_text}' is not a user here.")
        values["owner_id"] = owner.pk
    phones: list[list[str]] = []
    e164s: list[str] = []
    for kind in PHONE_COLUMNS:
        for raw in _SEPARATORS.split(_cell(row, mapping, kind)):
            if not raw:
                continue
            try:
                normalised = phone_normalise(raw)
            except InvalidPhoneNumber as exc:
                raise ValueError(f"{kind} number '{raw}' {exc}.") from exc
            if normalised.e164 not in e164s:
                e164s.append(normalised.e164)
                phones.append([raw, kind])
    values["phones"] = phones
    values["e164s"] = e164s
    return values


def _as_written(row: list[str], mapping: dict[str, int]) -> dict[str, Any]:
    """What a refused row says, unchecked, so the preview shows whose row it is."""
    first, last = _cell(row, mapping, "first_name"), _cell(row, mapping, "last_name")
    if not (first or last):
        first = _cell(row, mapping, "name")
    phones = [[raw, kind] for kind in PHONE_COLUMNS if (raw := _cell(row, mapping, kind))]
    return {
        "first_name": first,
        "last_name": last,
        "company": _cell(row, mapping, "company"),
        "email": _cell(row, mapping, "email"),
        "phones": phones,
    }


def _owners() -> dict[str, User]:
    owners: dict[str, User] = {}
    for user in User.objects.filter(is_active=True):
        owners[user.username.lower()] = user
        if user.email:
            owners.setdefault(user.email.lower(), user)
    return owners


def _existing_by_email(emails: Iterable[str]) -> dict[str, list[Contact]]:
    found: dict[str, list[Contact]] = {}
    emails = list(emails)
    for start in range(0, len(emails), 1000):
        chunk = emails[start : start + 1000]
        contacts = Contact.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=chunk)
        for contact in contacts.order_by("id"):
            found.setdefault(contact.email_ci, []).append(contact)
    return found


def _existing_by_phone(e164s: Iterable[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    e164s = list(e164s)
    for start in range(0, len(e164s), 1000):
        rows = ContactPhone.objects.filter(e164__in=e164s[start : start + 1000])
        for e164, contact_id in rows.values_list("e164", "contact_id"):
            found.setdefault(e164, set()).add(contact_id)
    return found


def import_plan(*, data: bytes, by: User) -> ImportPlan:
    """Read a CSV file and decide, row by row, what importing it would do for `by`. Writes
    nothing. Rows giving a contact an owner `by` may not give it are refused
    (`owner_change_refusal`).

    Raises ImportFileError when the file as a whole cannot be read.
    """
    header, rows = read_csv(data)
    mapping, ignored = _map_header(header)
    owners = _owners()
    parsed: list[tuple[int, dict[str, Any] | tuple[str, dict[str, Any]]]] = []
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        try:
            parsed.append((line, _parse_row(row, mapping, owners)))
        except ValueError as exc:
            parsed.append((line, (str(exc), _as_written(row, mapping))))
    valid = [values for _, values in parsed if isinstance(values, dict)]
    by_email = _existing_by_email({v["email"].lower() for v in valid if v["email"]})
    by_phone = _existing_by_phone({e for v in valid for e in v["e164s"]})
    contact_names = {
        c.pk: c.name
        for c in Contact.objects.filter(pk__in={i for ids in by_phone.values() for i in ids})
    }
    for contacts in by_email.values():
        contact_names.update({c.pk: c.name for c in contacts})

    planned: list[PlannedRow] = []
    first_with_email: dict[str, int] = {}
    first_with_number: dict[tuple[str, str], int] = {}
    for line, values in parsed:
        if isinstance(values, tuple):
            reason, as_written = values
            planned.append(PlannedRow(row=line, action="refuse", reason=reason, values=as_written))
            continue
        email = values["email"].lower()
        name = f"{values['first_name']} {values['last_name']}".strip().lower()
        duplicate = None
        if email and email in first_with_email:
            duplicate = f"Duplicate of row {first_with_email[email]} (same email {email})."
        for e164 in values["e164s"]:
            if duplicate is None and (name, e164) in first_with_number:
                duplicate = (
                    f"Duplicate of row {first_with_number[name, e164]} "
                    f"(same name and number {e164})."
                )
        if duplicate:
            planned.append(PlannedRow(row=line, action="refuse", reason=duplicate, values=values))
            continue
        if email:
            first_with_email[email] = line
        for e164 in values["e164s"]:
            first_with_number.setdefault((name, e164), line)
        planned.append(_decide(line, values, by_email, by_phone, contact_names))
    _refuse_owner_changes(planned, by=by)
    return ImportPlan(rows=planned, ignored_columns=ignored)


def _refuse_owner_changes(planned: list[PlannedRow], *, by: User) -> None:
    """Refuse the rows whose owner `by` may not give (the owners of the contacts they update are
    read in one query)."""
    with_owner = [r for r in planned if r.action != "refuse" and r.values["owner_id"]]
    stored: dict[int | None, int | None] = dict(
        Contact.objects.filter(
            pk__in={r.contact_id for r in with_owner if r.action == "update"}
        ).values_list("pk", "owner_id")
    )
    for row in with_owner:
        refusal = owner_change_refusal(
            by=by,
            owner_id=row.values["owner_id"],
            stored_owner_id=stored.get(row.contact_id),
            creating=row.action == "create",
        )
        if refusal:
            row.action, row.reason = "refuse", refusal


def _decide(
    line: int,
    values: dict[str, Any],
    by_email: dict[str, list[Contact]],
    by_phone: dict[str, set[int]],
    contact_names: dict[int, str],
) -> PlannedRow:
    email = values["email"].lower()
    target: int | None
    if email and email in by_email:
        matches = by_email[email]
        if len(matches) > 1:
            return PlannedRow(
                row=line,
                action="refuse",
                reason=f"{len(matches)} contacts already have the email {email}; "
                "merge them first or leave the email out.",
                values=values,
            )
        target = matches[0].pk
    else:
        # A number alone is weak evidence (switchboards are shared): it picks the contact to
        # update only when the names agree too; otherwise the row is someone new.
        name = f"{values['first_name']} {values['last_name']}".strip().lower()
        ids = {
            i
            for e164 in values["e164s"]
            for i in by_phone.get(e164, ())
            if contact_names.get(i, "").lower() == name
        }
        if len(ids) > 1:
            return PlannedRow(
                row=line,
                action="refuse",
                reason=f"{len(ids)} contacts named {name.title()} have its numbers; "
                "add an email to say which one.",
                values=values,
            )
        target = ids.pop() if ids else None
    if target is None:
        return PlannedRow(row=line, action="create", values=values)
    return PlannedRow(
        row=line,
        action="update",
        contact_id=target,
        contact_name=contact_names.get(target, ""),
        values=values,
    )


def contact_import_preview(*, user: User, file_name: str, data: bytes) -> ContactImport:
    """Plan an import and keep the plan, so applying it does exactly what was shown."""
    plan = import_plan(data=data, by=user)
    return ContactImport.objects.create(
        created_by=user,
        file_name=file_name[:255],
        plan={
            "rows": [asdict(row) for row in plan.rows],
            "ignored_columns": plan.ignored_columns,
        },
    )


def stored_plan(contact_import: ContactImport) -> ImportPlan:
    return ImportPlan(
        rows=[PlannedRow(**row) for row in contact_import.plan["rows"]],
        ignored_columns=contact_import.plan["ignored_columns"],
    )


def contact_import_claim(*, contact_import: ContactImport) -> None:
    """Mark a previewed (or failed) import as being applied, so it is applied only once.
    Raises ImportNotApplicable when it was applied, is being applied, or was discarded."""
    claimed = ContactImport.objects.filter(
        pk=contact_import.pk,
        status__in=[ContactImport.Status.PREVIEWED, ContactImport.Status.FAILED],
    ).update(status=ContactImport.Status.APPLYING, result={})
    if not claimed:
        raise ImportNotApplicable("This import was applied or discarded already.")
    contact_import.status = ContactImport.Status.APPLYING
    contact_import.result = {}


def contact_import_apply(*, contact_import: ContactImport) -> dict[str, Any]:
    """Claim the import and apply its plan now (see contact_import_run)."""
    contact_import_claim(contact_import=contact_import)
    try:
        contact_import_run(import_id=contact_import.pk)
    except Exception as exc:  # recorded on the import by contact_import_run
        raise ImportNotApplicable(f"The import failed and nothing was changed: {exc}") from exc
    contact_import.refresh_from_db()
    result: dict[str, Any] = contact_import.result
    return result


def rows_to_apply(plan: ImportPlan) -> int:
    return sum(1 for row in plan.rows if row.action != "refuse")


def contact_import_progress(*, import_id: int) -> int | None:
    """Rows done so far by the import being applied, or None before it starts."""
    done: int | None = cache.get(_progress_key(import_id))
    return done


def _progress_key(import_id: int) -> str:
    return f"crm:contact-import-progress:{import_id}"


def contact_import_run(*, import_id: int) -> None:
    """Apply a claimed import's stored plan exactly, all rows or none.

    Creates the planned contacts and updates the planned ones (CSV values replace stored ones
    where the CSV has a value; numbers are added), each change logged as the importer's. An
    update whose contact was deleted since the preview, or whose owner the importer may no
    longer change, is reported as refused. Safe to run again (a redelivered task): only an import in
    `applying` is applied. An error rolls every row back and leaves the import `failed`, with
    the reason, to be applied again.
    """
    try:
        with transaction.atomic():
            contact_import = (
                ContactImport.objects.select_for_update()
                .filter(pk=import_id, status=ContactImport.Status.APPLYING)
                .first()
            )
            if contact_import is None:
                return
            result = _apply_plan(contact_import)
            contact_import.status = ContactImport.Status.APPLIED
            contact_import.applied_at = timezone.now()
            contact_import.result = result
            contact_import.save(update_fields=["status", "applied_at", "result"])
    except Exception as exc:
        logger.exception("contact import %s failed", import_id)
        ContactImport.objects.filter(pk=import_id, status=ContactImport.Status.APPLYING).update(
            status=ContactImport.Status.FAILED,
            result={"error": f"The import failed and nothing was changed: {exc}"},
        )
        raise
    finally:
        cache.delete(_progress_key(import_id))


def _apply_plan(contact_import: ContactImport) -> dict[str, Any]:
    plan = stored_plan(contact_import)
    importer = contact_import.created_by
    owners = User.objects.in_bulk({r.values.get("owner_id") for r in plan.rows} - {None})
    created = updated = 0
    refused = [{"row": r.row, "reason": r.reason} for r in plan.rows if r.action == "refuse"]
    key = _progress_key(contact_import.pk)
    for done, row in enumerate(plan.rows):
        if done % PROGRESS_EVERY == 0:
            cache.set(key, done, timeout=3600)
        if row.action == "refuse":
            continue
        values = row.values
        company_name = values["company"]
        company = company_get_or_create(name=company_name) if company_name else None
        phones = [PhoneInput(raw, kind) for raw, kind in values["phones"]]
        owner = owners.get(values["owner_id"])
        if row.action == "create":
            refusal = owner_change_refusal(
                by=importer, owner_id=(owner or importer).pk, stored_owner_id=None, creating=True
            )
            if refusal:  # the importer's role changed after the preview
                refused.append({"row": row.row, "reason": refusal})
                continue
            data = ContactData(
                first_name=values["first_name"],
                last_name=values["last_name"],
                title=values["title"],
                company=company,
                email=values["email"],
                secondary_email=values["secondary_email"],
                owner=owner or importer,
                status=values["status"] or Contact.Status.LEAD,
            )
            contact_create(data=data, phones=phones, by=importer, via=ContactChange.Via.IMPORT)
            created += 1
            continue
        contact = _contact_now(row.contact_id)
        if contact is None:
            refused.append({"row": row.row, "reason": "The contact was deleted after the preview."})
            continue
        refusal = owner_change_refusal(
            by=importer,
            owner_id=owner.pk if owner else contact.owner_id,
            stored_owner_id=contact.owner_id,
            creating=False,
        )
        if refusal:  # the owner was changed after the preview
            refused.append({"row": row.row, "reason": refusal})
            continue
        data = ContactData(
            first_name=values["first_name"] or contact.first_name,
            last_name=values["last_name"] or contact.last_name,
            title=values["title"] or contact.title,
            company=company or contact.company,
            email=values["email"] or contact.email,
            secondary_email=values["secondary_email"] or contact.secondary_email,
            owner=owner or contact.owner,
            status=values["status"] or contact.status,
        )
        contact_update(
            contact=contact, data=data, add_phones=phones, by=importer, via=ContactChange.Via.IMPORT
        )
        updated += 1
    return {
        "created": created,
        "updated": updated,
        "refused": sorted(refused, key=lambda r: r["row"]),
    }


def _contact_now(contact_id: int | None) -> Contact | None:
    """The contact an update row names, read under its lock (None: deleted after the preview).
    The cells a row leaves empty keep what the contact holds now, not what it held when the
    import began: an edit made meanwhile is not undone."""
    if contact_id is None:
        return None
    try:
        return contact_lock_for_change(contact_id=contact_id)
    except ValidationError:
        return None


def contact_import_discard(*, contact_import: ContactImport) -> bool:
    """Drop a previewed import; False when it was applied meanwhile."""
    return bool(
        ContactImport.objects.filter(
            pk=contact_import.pk,
            status__in=[ContactImport.Status.PREVIEWED, ContactImport.Status.FAILED],
        ).update(status=ContactImport.Status.DISCARDED)
    )


def imports_visible_to(*, user: User) -> QuerySet[ContactImport]:
    """An import's plan shows contact data from a file; only whoever uploaded it sees it."""
    if not user.is_authenticated:
        return ContactImport.objects.none()
    return ContactImport.objects.filter(created_by=user)
