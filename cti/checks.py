"""System checks for a deployment (shown by `manage.py check`, `migrate` and `check --deploy`)."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, register


@register()
def static_files_collected(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    """With DEBUG off static files are served from STATIC_ROOT through a manifest; without it
    every page fails. Say so before the first request does."""
    if settings.DEBUG:
        return []
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        return []
    return [
        Error(
            f"Static files have not been collected (no {manifest}).",
            hint="Run: python manage.py collectstatic --noinput",
            id="cti.E001",
        )
    ]
