from django.conf import settings
from django.db import models
from django.db.models import Q


class RingCentralConnection(models.Model):
    """One RingCentral session whose tokens we hold: a person's own (from signing in) or the
    account's JWT session.

    Both tokens are stored only as Fernet ciphertext (`telephony.crypto`). Read and write them
    through `telephony.tokens`, which owns refresh and status changes; nothing else touches the
    `*_ciphertext` columns.
    """

    class Kind(models.TextChoices):
        USER = "user", "User sign-in"
        JWT = "jwt", "JWT credential"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs sign-in"
        SIGNED_OUT = "signed_out", "Signed out"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.USER)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ringcentral_connection",
    )
    account_id = models.CharField(max_length=32, blank=True)
    extension_id = models.CharField(max_length=32, blank=True, db_index=True)
    access_token_ciphertext = models.TextField(blank=True, editable=False)
    refresh_token_ciphertext = models.TextField(blank=True, editable=False)
    access_token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.TextField(blank=True, help_text="Space-separated app permissions granted.")
    session_id = models.CharField(max_length=128, blank=True, help_text="RingCentral OAuth session")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_detail = models.CharField(max_length=255, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    is_account_connection = models.BooleanField(
        default=False,
        help_text="Used for account-wide work (directory, everyone's presence). At most one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "RingCentral connection"
        constraints = [
            models.UniqueConstraint(
                fields=["is_account_connection"],
                condition=Q(is_account_connection=True),
                name="telephony_one_account_connection",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="jwt"), name="telephony_one_jwt_connection"
            ),
            models.CheckConstraint(
                condition=Q(kind="user", user__isnull=False) | Q(kind="jwt", user__isnull=True),
                name="telephony_connection_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user if self.user_id else "account (JWT)"
        return f"{owner} · ext {self.extension_id or '?'}"


class RingCentralExtension(models.Model):
    """A user extension of the RingCentral account, as the directory sync last saw it.

    Keyed by RingCentral's extension id. `user` links it to the person who signs in as that
    extension (set on sign-in, or by an admin beforehand so that person's first sign-in lands on
    an existing user).
    """

    rc_id = models.BigIntegerField(unique=True, verbose_name="extension id")
    account_id = models.CharField(max_length=32, blank=True)
    extension_number = models.CharField(max_length=16, blank=True, db_index=True)
    name = models.CharField(max_length=255, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    type = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, blank=True)
    in_directory = models.BooleanField(
        default=True, help_text="Listed (type User, status Enabled) at the last complete sync."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ringcentral_extension",
        verbose_name="linked user",
    )
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "RingCentral extension"
        ordering = ["extension_number", "rc_id"]

    def __str__(self) -> str:
        return f"{self.extension_number} {self.name}".strip()
