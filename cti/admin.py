"""Django admin for users, with what deactivating or deleting someone must also end."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from crm.admin import UserAdmin as CrmUserAdmin
from crm.models import User
from cti.users import user_access_end, user_delete

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(CrmUserAdmin):
    actions = ["deactivate_users"]

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_access_end(user=obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():
            for user in queryset:
                user_delete(user=user)

    @admin.action(
        description="Deactivate selected users (ends their RingCentral sessions)",
        permissions=["change"],
    )
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():
            # The changelist's queryset may be DISTINCT (a filter by group), which PostgreSQL
            # cannot lock: lock the rows by their ids instead.
            chosen = list(queryset.values_list("pk", flat=True))
            users = list(User.objects.select_for_update().filter(pk__in=chosen, is_active=True))
            for user in users:
                user.is_active = False
                user.save(update_fields=["is_active"])
                user_access_end(user=user)
        self.message_user(request, f"{len(users)} user(s) deactivated.", messages.SUCCESS)
