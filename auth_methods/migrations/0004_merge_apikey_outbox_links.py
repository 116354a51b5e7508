from django.db import migrations


class Migration(migrations.Migration):
    """Joins two branches that each added a 0003: ApiKey's move here and the outbox's links."""

    dependencies = [
        ("auth_methods", "0003_apikey"),
        ("auth_methods", "0003_outbox_links_at_rest"),
    ]

    operations: list[migrations.operations.base.Operation] = []
