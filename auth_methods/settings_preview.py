"""What a policy change would do, before it is saved: the one preview behind the portal's
auth-settings page and ``POST /api/v1/auth-settings/preview``. It writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from auth_methods import errors
from auth_methods.lockout import LockedOutUser, LockoutPreview, lockout_preview
from auth_methods.models import User
from auth_methods.policy import POLICY_FIELDS, OrgPolicy, policy_values
from auth_methods.policy_validation import validate_changes
from auth_methods.settings_service import policy_for
from tenants.models import Organisation
from tenants.selectors import org_hosts

# The contract lists at most this many locked-out users; their count is always exact.
LISTED_USERS = 100


@dataclass(frozen=True)
class LockedOutEntry:
    external_id: str
    email: str
    reason: str


@dataclass(frozen=True)
class SettingsPreview:
    current: OrgPolicy
    proposed: OrgPolicy
    changes: dict[str, tuple[object, object]]  # field -> (old, new), contract values
    lockout: LockoutPreview

    def listed_users(self, limit: int = LISTED_USERS) -> list[LockedOutEntry]:
        """The first ``limit`` locked-out users, named by their external ids."""
        return _listed(self.lockout.users[:limit])

    def listed_must_enrol(self, limit: int = LISTED_USERS) -> list[LockedOutEntry]:
        """The first ``limit`` users the change newly sends to set up a second factor."""
        return _listed(self.lockout.must_enrol[:limit])


def _listed(shown: tuple[LockedOutUser, ...]) -> list[LockedOutEntry]:
    ids = dict(
        User.objects.filter(pk__in=[u.user_id for u in shown]).values_list("pk", "external_id")
    )
    return [
        LockedOutEntry(
            external_id=ids.get(u.user_id, ""), email=u.email, reason="; ".join(u.reasons)
        )
        for u in shown
    ]


def auth_settings_preview(*, org: Organisation, changes: object) -> SettingsPreview:
    """Validate ``changes`` exactly as ``auth_settings_update`` would (the same
    ``invalid_request`` on the same field) and say what they change and whom they lock out."""
    if not isinstance(changes, Mapping):  # a JSON body that is a list, a number, ...
        raise errors.INVALID_REQUEST.with_detail("The body must be a JSON object of policy fields.")
    current = policy_for(org)
    proposed = validate_changes(
        current, changes, org_hosts=org_hosts(org), base_domain=settings.BASE_DOMAIN
    )
    before, after = policy_values(current), policy_values(proposed)
    changed = {n: (before[n], after[n]) for n in POLICY_FIELDS if before[n] != after[n]}
    return SettingsPreview(
        current=current,
        proposed=proposed,
        changes=changed,
        lockout=lockout_preview(current, proposed),
    )
