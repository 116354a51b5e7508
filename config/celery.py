"""The Celery app: tenant-aware, so a task runs in the schema of the org that sent it."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("passgate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
