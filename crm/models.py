from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class User(AbstractUser):
    """A person who signs in: an agent, a supervisor (group membership) or an admin (staff)."""

    extension_number = models.CharField(
        max_length=16,
        blank=True,
        db_index=True,
        help_text="RingCentral extension number, kept in step by the directory sync.",
    )

    # Set by crm.roles.is_supervisor: group membership is read once per request.
    _is_supervisor_cache: bool

    class Meta:
        db_table = "crm_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Company(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, help_text="Website domain, e.g. acme.com")
    industry = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=64, blank=True, help_text="Main line, as typed.")
    address = models.TextField(blank=True)
    description = models.TextField(blank=True)
    # Lower-cased name, domain and industry: what the search box looks in (trigram-indexed on
    # PostgreSQL). Kept in step by the services.
    search_text = models.TextField(blank=True, editable=False)
    # Latest call, message or note of any of its contacts; bumped by the services.
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="crm_company_name_ci_unique"),
        ]
        indexes = [
            models.Index(
                F("last_activity_at").desc(), F("id").desc(), name="crm_company_activity_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    class Status(models.TextChoices):
        LEAD = "lead", "Lead"
        QUALIFIED = "qualified", "Qualified"
        CUSTOMER = "customer", "Customer"
        INACTIVE = "inactive", "Inactive"

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=150, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    email = models.EmailField(blank=True)
    secondary_email = models.EmailField(blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_contacts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LEAD)
    # Lower-cased names, title, emails and company name: what the search box looks in
    # (trigram-indexed on PostgreSQL). Kept in step by the services.
    search_text = models.TextField(blank=True, editable=False)
    # Latest call, message or note; orders caller matches and the contact list. Bumped by the
    # services with GREATEST, never read-modify-write.
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                F("last_activity_at").desc(), F("id").desc(), name="crm_contact_activity_idx"
            ),
            models.Index(Lower("email"), name="crm_contact_email_ci_idx"),
            models.Index(fields=["company", "last_name"], name="crm_contact_company_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"Contact {self.pk}"

    @property
    def initials(self) -> str:
        letters = [part[0] for part in (self.first_name, self.last_name) if part]
        return "".join(letters).upper() or "?"


class ContactPhone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        WORK = "work", "Work"
        HOME = "home", "Home"
        FAX = "fax", "Fax"
        OTHER = "other", "Other"

    # Indexed by the unique (contact, e164) constraint, which leads with it.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="phones", db_index=False
    )
    raw = models.CharField("number as typed", max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MOBILE)
    e164 = models.CharField("E.164", max_length=20)
    national_number = models.CharField(max_length=20)
    # Typed without a country code, so PHONE_DEFAULT_REGION's was assumed; caller matching
    # falls back on the last digits of these.
    country_assumed = models.BooleanField(default=False)
    tail = models.CharField(max_length=8, help_text="Last digits, for the matching fallback.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "e164"], name="crm_contactphone_unique"),
        ]
        indexes = [
            models.Index(fields=["e164"], name="crm_phone_e164_idx"),
            models.Index(
                fields=["tail"],
                condition=Q(country_assumed=True),
                name="crm_phone_assumed_tail_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.e164


class Disposition(models.Model):
    """How a call ended up, picked by the agent after it; admins keep the list."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    INBOUND = "Inbound", "Inbound"
    OUTBOUND = "Outbound", "Outbound"


class CallLog(models.Model):
    """One RingCentral call-log record, upserted by its RingCentral id."""

    rc_id = models.CharField("RingCentral id", max_length=64)
    session_id = models.CharField(max_length=64, blank=True, db_index=True)
    telephony_session_id = models.CharField(max_length=128, blank=True, db_index=True)
    call_type = models.CharField(max_length=16, blank=True, help_text="Voice or Fax")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    action = models.CharField(max_length=64, blank=True)
    result = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=128, blank=True)
    start_time = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    from_number = models.CharField(max_length=64, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    from_extension_number = models.CharField(max_length=16, blank=True)
    to_number = models.CharField(max_length=64, blank=True)
    to_name = models.CharField(max_length=200, blank=True)
    to_extension_number = models.CharField(max_length=16, blank=True)
    # The other party (caller on inbound, callee on outbound), as sent and in E.164.
    remote_number = models.CharField(max_length=64, blank=True)
    remote_e164 = models.CharField(max_length=20, blank=True)
    # What caller matching's last-digits fallback compares (crm.matching): the national number,
    # or the digits as sent when it is not a valid number, and its last digits.
    remote_national = models.CharField(max_length=64, blank=True, editable=False)
    remote_tail = models.CharField(max_length=8, blank=True, editable=False)
    agent = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_logs"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_logs"
    )
    recording_id = models.CharField(max_length=64, blank=True)
    recording_content_uri = models.URLField(max_length=500, blank=True)
    recording_type = models.CharField(max_length=16, blank=True)
    recording_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    notes = models.TextField(blank=True)
    rc_last_modified = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rc_id"], name="crm_calllog_rc_id_unique")]
        indexes = [
            models.Index(F("start_time").desc(), F("id").desc(), name="crm_call_start_idx"),
            models.Index(
                F("agent"), F("start_time").desc(), F("id").desc(), name="crm_call_agent_idx"
            ),
            # An agent's calls of one direction: counted in list order (crm.pagination), the
            # agent index alone made PostgreSQL read all of the agent's calls (350 ms at 50,000).
            models.Index(
                F("agent"),
                F("direction"),
                F("start_time").desc(),
                F("id").desc(),
                name="crm_call_agent_dir_idx",
            ),
            models.Index(
                F("contact"), F("start_time").desc(), F("id").desc(), name="crm_call_contact_idx"
            ),
            models.Index(fields=["remote_e164"], name="crm_call_remote_idx"),
            models.Index(
                fields=["remote_tail"], condition=~Q(remote_tail=""), name="crm_call_tail_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} call {self.rc_id}"

    @property
    def has_recording(self) -> bool:
        return bool(self.recording_id)

    @property
    def remote_name(self) -> str:
        return self.from_name if self.direction == Direction.INBOUND else self.to_name

    @property
    def missed(self) -> bool:
        return self.result in ("Missed", "Voicemail", "No Answer", "Rejected", "Busy")


class MessageLog(models.Model):
    """One RingCentral message-store record (SMS, MMS, fax, voicemail), upserted by its id."""

    class Type(models.TextChoices):
        SMS = "SMS", "SMS"
        MMS = "MMS", "MMS"
        FAX = "Fax", "Fax"
        VOICEMAIL = "VoiceMail", "Voicemail"
        PAGER = "Pager", "Pager"

    rc_id = models.CharField("RingCentral id", max_length=64)
    conversation_id = models.CharField(max_length=64, blank=True, db_index=True)
    message_type = models.CharField(max_length=16, choices=Type.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    status = models.CharField(max_length=32, blank=True, help_text="RingCentral messageStatus")
    read_status = models.CharField(max_length=16, blank=True)
    subject = models.TextField(blank=True, help_text="SMS text, or a fax or voicemail subject")
    from_number = models.CharField(max_length=64, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True, help_text="Recipients: phone number, name")
    remote_number = models.CharField(max_length=64, blank=True)
    remote_e164 = models.CharField(max_length=20, blank=True)
    # What caller matching's last-digits fallback compares (crm.matching): the national number,
    # or the digits as sent when it is not a valid number, and its last digits.
    remote_national = models.CharField(max_length=64, blank=True, editable=False)
    remote_tail = models.CharField(max_length=8, blank=True, editable=False)
    attachments = models.JSONField(default=list, blank=True)
    fax_page_count = models.PositiveIntegerField(null=True, blank=True)
    creation_time = models.DateTimeField()
    agent = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="message_logs"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="message_logs"
    )
    rc_last_modified = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rc_id"], name="crm_messagelog_rc_id_unique")
        ]
        indexes = [
            models.Index(F("creation_time").desc(), F("id").desc(), name="crm_msg_time_idx"),
            models.Index(
                F("agent"), F("creation_time").desc(), F("id").desc(), name="crm_msg_agent_idx"
            ),
            models.Index(
                F("contact"), F("creation_time").desc(), F("id").desc(), name="crm_msg_contact_idx"
            ),
            models.Index(fields=["remote_e164"], name="crm_msg_remote_idx"),
            models.Index(
                fields=["remote_tail"], condition=~Q(remote_tail=""), name="crm_msg_tail_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.rc_id}"

    @property
    def remote_name(self) -> str:
        if self.direction == Direction.INBOUND:
            return self.from_name
        return next((party.get("name", "") for party in self.to if party.get("name")), "")

    @property
    def preview(self) -> str:
        if self.subject:
            return self.subject
        if self.message_type == self.Type.FAX:
            pages = self.fax_page_count
            return f"Fax, {pages} page{'s' if pages != 1 else ''}" if pages else "Fax"
        if self.message_type == self.Type.VOICEMAIL:
            return "Voicemail"
        return f"{len(self.attachments)} attachment(s)" if self.attachments else ""


class Note(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                F("contact"), F("created_at").desc(), F("id").desc(), name="crm_note_contact_idx"
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


class ContactChange(models.Model):
    """One change to a contact as it was made: who, when, through what, and each value before
    and after (as shown then: names, not ids), phones added and removed. Written in the
    transaction of the change by the contact services and Django admin; never edited."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"

    class Via(models.TextChoices):
        APP = "app", "Callboard"
        IMPORT = "import", "CSV import"
        ADMIN = "admin", "Django admin"

    # What `changes` names: the contact's fields, and "phone" for a number added, removed or
    # given another type.
    LABELS = {
        "first_name": "First name",
        "last_name": "Last name",
        "title": "Title",
        "company": "Company",
        "email": "Email",
        "secondary_email": "Other email",
        "status": "Status",
        "owner": "Owner",
        "phone": "Phone",
    }

    # Indexed by the timeline's index, which leads with it.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="change_log", db_index=False
    )
    by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_changes"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=Action.choices)
    via = models.CharField(max_length=16, choices=Via.choices)
    changes = models.JSONField(default=list, help_text="[{field, old, new}], values as shown")

    class Meta:
        indexes = [
            models.Index(
                F("contact"), F("at").desc(), F("id").desc(), name="crm_change_contact_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def lines(self) -> list[tuple[str, str, str]]:
        """(label, old, new) for each change, in the order made."""
        return [(self.LABELS.get(c["field"], c["field"]), c["old"], c["new"]) for c in self.changes]


class ContactImport(models.Model):
    """A CSV import: the plan shown in the preview, applied exactly as shown."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        DISCARDED = "discarded", "Discarded"

    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contact_imports")
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    plan = models.JSONField(default=list, help_text="One entry per CSV row: action, reason, values")
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
