"""Applying a large contact import on a worker. Apart from `contact_import` so that the service
never imports the task module, which imports the service to run it: the edges run one way,
`contact_import_queue → tasks → contact_import`."""

from django.db import transaction

from crm.contact_import import contact_import_claim
from crm.models import ContactImport
from crm.tasks import apply_contact_import


def contact_import_apply_later(*, contact_import: ContactImport) -> None:
    """Claim the import and have a worker apply it once this transaction commits. Raises
    ImportNotApplicable, enqueueing nothing, when it was applied or discarded already."""
    contact_import_claim(contact_import=contact_import)
    transaction.on_commit(lambda: apply_contact_import.delay(contact_import.pk))
