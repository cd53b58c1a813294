from celery import shared_task

from crm.contact_import import contact_import_run


# Idempotent (only an import still `applying` is applied, in one transaction), so a task lost
# with its worker is safely delivered again.
@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def apply_contact_import(import_id: int) -> None:
    contact_import_run(import_id=import_id)
