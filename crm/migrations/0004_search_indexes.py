"""Trigram indexes for the search boxes, on PostgreSQL only.

Searches are `LIKE '%term%'` on lower-cased text (and on E.164 digits), which a GIN trigram
index answers without a scan. SQLite (`make demo`) has no such index type and runs the same
queries unindexed, which is fine at demo scale.
"""

from django.db import migrations

TRIGRAM_INDEXES = (
    ("crm_contact_search_trgm", "crm_contact", "search_text"),
    ("crm_company_search_trgm", "crm_company", "search_text"),
    ("crm_contactphone_e164_trgm", "crm_contactphone", "e164"),
)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_crm_core"),
    ]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
