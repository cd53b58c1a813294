from django.db import migrations

DEFAULTS = (
    ("Interested", "Wants to hear more"),
    ("Follow-up needed", "Call back as agreed"),
    ("Left voicemail", ""),
    ("Not interested", ""),
    ("Wrong number", "Not who we wanted; fix the contact's number"),
    ("Closed won", "Agreed to buy"),
)


def create_defaults(apps, schema_editor):
    Disposition = apps.get_model("crm", "Disposition")
    for position, (name, description) in enumerate(DEFAULTS):
        Disposition.objects.get_or_create(
            name=name, defaults={"description": description, "position": position}
        )


def remove_defaults(apps, schema_editor):
    apps.get_model("crm", "Disposition").objects.filter(
        name__in=[name for name, _ in DEFAULTS], calls__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_search_indexes")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
