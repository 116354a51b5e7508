"""The database backend: django-tenants', sending the search path only when it changes."""
