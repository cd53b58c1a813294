from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks


class TelephonyConfig(AppConfig):
    name = "telephony"
    verbose_name = "RingCentral"

    def ready(self) -> None:
        checks.register(check_token_keys, checks.Tags.security)


def check_token_keys(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Fail `manage.py check`/`migrate` early when TOKEN_ENCRYPTION_KEYS cannot be used."""
    from django.core.exceptions import ImproperlyConfigured

    from telephony.crypto import check_keys

    try:
        check_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="telephony.E001")]
    return []
