import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cti.settings")

app = Celery("callboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _first_heartbeat(sender: object = None, **kwargs: object) -> None:
    """A heartbeat as soon as beat has started, not one schedule interval later: /healthz (and
    `make demo`, which waits for it) then knows beat is up from its first moment."""
    app.send_task("cti.tasks.beat_heartbeat")


beat_init.connect(_first_heartbeat)
