"""User, API-key and audit-log pages."""

import re

from django.urls import URLPattern, path, re_path

from portal.views.api_keys import api_key_new, api_key_revoke_page, api_keys
from portal.views.audit import audit
from portal.views.users import ACTIONS, user_action, user_detail, users

# External ids are the integrator's own strings and may hold "/": the detail route takes the
# rest of the path, and an action is only one of the known names at its very end.
_ACTION_NAMES = "|".join(re.escape(name) for name in ACTIONS)

urlpatterns: list[URLPattern] = [
    path("users", users, name="portal-users"),
    re_path(
        rf"^users/(?P<external_id>.+)/(?P<action>{_ACTION_NAMES})$",
        user_action,
        name="portal-user-action",
    ),
    path("users/<path:external_id>", user_detail, name="portal-user"),
    path("api-keys", api_keys, name="portal-api-keys"),
    path("api-keys/new", api_key_new, name="portal-api-key-new"),
    path("api-keys/<int:key_id>/revoke", api_key_revoke_page, name="portal-api-key-revoke"),
    path("audit", audit, name="portal-audit"),
]
