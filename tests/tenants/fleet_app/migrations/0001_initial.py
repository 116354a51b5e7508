"""A new tenant migration for the fleet-migration tests, with knobs to make one schema fail
(its name ends in ``_broken``) and to make each schema take a while (FLEET_TEST_SLEEP)."""

import os

from django.db import migrations, models


def mark(apps, schema_editor):
    connection = schema_editor.connection
    if connection.schema_name.endswith("_broken"):
        raise RuntimeError(f"refusing to migrate {connection.schema_name}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [float(os.environ.get("FLEET_TEST_SLEEP", "0"))])
        cursor.execute("INSERT INTO fleet_app_marker (note) VALUES ('applied')")


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Marker",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("note", models.CharField(max_length=20)),
            ],
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
