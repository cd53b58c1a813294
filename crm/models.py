from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: an agent, a supervisor (group membership) or an admin (staff)."""

    extension_number = models.CharField(
        max_length=16,
        blank=True,
        db_index=True,
        help_text="RingCentral extension number, kept in step by the directory sync.",
    )

    class Meta:
        db_table = "crm_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
