from django.db import migrations


class Migration(migrations.Migration):
    """ApiKey now belongs to auth_methods; its table (api_apikey) stays where it is."""

    dependencies = [
        ("api", "0001_initial"),
        ("auth_methods", "0003_apikey"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiKey")], database_operations=[]
        ),
    ]
