"""The "new migration" make bench-tenants applies to every org schema with migrate_fleet:
a table with a foreign key to the users (so also an index), a typical feature's first step."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auth_methods", "__first__")]
    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("text", models.CharField(max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="auth_methods.user"
                    ),
                ),
            ],
        ),
    ]
