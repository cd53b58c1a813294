from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from telephony import tokens
from telephony.models import RingCentralConnection, RingCentralExtension
from telephony.sync import SYNCED_FIELDS
from telephony.tasks import directory_sync


@admin.action(description="Sync the extension directory now")
def sync_directory_now(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    directory_sync.delay()
    modeladmin.message_user(request, "Directory sync queued.")


@admin.register(RingCentralConnection)
class RingCentralConnectionAdmin(admin.ModelAdmin):
    """State of each connection. Tokens are never shown (they are not even decrypted here)."""

    list_display = (
        "__str__",
        "kind",
        "status",
        "is_account_connection",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "last_refreshed_at",
    )
    list_filter = ("status", "kind", "is_account_connection")
    search_fields = ("user__username", "user__email", "extension_id", "account_id")
    fields = (
        "kind",
        "user",
        "account_id",
        "extension_id",
        "status",
        "status_detail",
        "status_changed_at",
        "is_account_connection",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "last_refreshed_at",
        "scopes",
        "session_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("designate_account_connection", sync_directory_now)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # connections come from signing in, or from RINGCENTRAL_JWT

    def has_change_permission(
        self, request: HttpRequest, obj: RingCentralConnection | None = None
    ) -> bool:
        # Read-only: a Save writes back every column as read, and if a refresh committed
        # meanwhile that puts back a spent refresh token (the session ends at the next refresh).
        return False

    def delete_model(self, request: HttpRequest, obj: RingCentralConnection) -> None:
        tokens.connection_delete(connection_id=obj.pk)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[RingCentralConnection]
    ) -> None:
        for connection_id in queryset.values_list("pk", flat=True):
            tokens.connection_delete(connection_id=connection_id)

    def has_designate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("telephony.change_ringcentralconnection")

    @admin.action(
        description="Use for account-wide work (directory, everyone's presence)",
        permissions=["designate"],
    )
    def designate_account_connection(
        self, request: HttpRequest, queryset: QuerySet[RingCentralConnection]
    ) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one connection.", messages.ERROR)
            return
        connection = tokens.connection_designate_account(connection_id=queryset.get().pk)
        self.message_user(request, f"{connection} is now the account connection.")


@admin.register(RingCentralExtension)
class RingCentralExtensionAdmin(admin.ModelAdmin):
    """The directory. Linking a user here makes that extension's first sign-in land on them."""

    list_display = (
        "extension_number",
        "name",
        "email",
        "rc_id",
        "status",
        "in_directory",
        "user",
        "synced_at",
    )
    list_filter = ("in_directory", "status")
    search_fields = ("extension_number", "name", "email", "rc_id")
    raw_id_fields = ("user",)
    readonly_fields = ("rc_id", *SYNCED_FIELDS)  # only the linked user is edited here
    actions = (sync_directory_now,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the directory sync and from sign-ins
