from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from crm.models import User


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
    fieldsets = (*BaseUserAdmin.fieldsets, ("RingCentral", {"fields": ("extension_number",)}))
