"""Validating a change to an organisation's policy: each field by its kind (from the one
policy table), then the RP ID against the organisation's hosts, then the combinations that
only make sense together. All or nothing, and every problem at once: ``PolicyInvalid`` (an
``invalid_request``) lists each bad field, with a detail that reads as sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from publicsuffixlist import PublicSuffixList

from auth_methods import errors
from auth_methods.errors import AuthError
from auth_methods.policy import OrgPolicy
from auth_methods.policy_fields import policy_row
from auth_methods.policy_formats import BadValue, host_is_under, origin
from auth_methods.policy_formats import is_hostname as is_hostname


@dataclass(frozen=True)
class FieldError:
    """One bad field. ``message`` completes a sentence about the field ("must be ...");
    ``detail`` is that sentence, naming the field, for the API."""

    field: str
    message: str

    @property
    def detail(self) -> str:
        if policy_row(self.field) is None:
            return f"There is no policy field named {self.field!r}."
        return f"The {self.field} field {self.message}"


class PolicyInvalid(AuthError):
    """``invalid_request`` for a policy change, naming every bad field (``field`` is the
    first, for callers that show one)."""

    def __init__(self, problems: Sequence[FieldError]) -> None:
        detail = " ".join(p.detail for p in problems)
        super().__init__("invalid_request", detail, field=problems[0].field)
        self.problems = tuple(problems)


def normalise_origin(field: str, value: str) -> str:
    """One origin in its stored form, or ``invalid_request`` naming ``field``."""
    try:
        return origin(value)
    except BadValue as exc:
        raise PolicyInvalid([FieldError(field, f"holds {value!r}, which {exc}.")]) from None


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def _rp_id_problem(
    policy: OrgPolicy, org_hosts: Sequence[str], base_domain: str
) -> FieldError | None:
    """The contract: the primary host itself, or a registrable domain suffix of it. The org's
    other hosts need not be covered: their origins are then related origins (WebAuthn L3)."""
    rp_id = policy.rp_id
    if rp_id is None:
        return None
    # The platform's domain, or a parent of it, would cover every other organisation's host.
    if host_is_under(base_domain, rp_id) or _psl().is_public(rp_id):
        return FieldError(
            "rp_id", f"may be neither a public suffix nor the platform's domain ({rp_id!r} is)."
        )
    primary = org_hosts[0] if org_hosts else policy.primary_host
    if not host_is_under(primary, rp_id):
        return FieldError(
            "rp_id", f"must be the primary host {primary!r} or a suffix of it, not {rp_id!r}."
        )
    return None


def _combination_problems(policy: OrgPolicy) -> list[FieldError]:
    proven = policy.attestation in ("direct", "enterprise")
    problems = []
    if policy.require_trusted_attestation and not proven:
        problems.append(
            FieldError("require_trusted_attestation", "needs attestation direct or enterprise.")
        )
    if policy.allowed_aaguids and not proven:
        problems.append(
            FieldError(
                "allowed_aaguids",
                "needs attestation direct or enterprise (an allow-list counts only models that "
                "an attestation proved).",
            )
        )
    return problems


def validate_changes(
    current: OrgPolicy,
    changes: Mapping[str, object],
    *,
    org_hosts: Sequence[str],
    base_domain: str,
) -> OrgPolicy:
    """The policy after ``changes``, or ``PolicyInvalid`` naming every bad field."""
    if not isinstance(changes, Mapping):
        raise errors.INVALID_REQUEST.with_detail("The body must be a JSON object of policy fields.")
    cleaned: dict[str, Any] = {}
    problems: list[FieldError] = []
    for name, value in changes.items():
        row = policy_row(str(name))
        if row is None:
            problems.append(FieldError(str(name), "is not a policy field."))
            continue
        try:
            cleaned[row.name] = row.kind.check(value)
        except BadValue as exc:
            problems.append(FieldError(row.name, str(exc)))
    updated = replace(current, **cleaned)
    # A field already refused keeps its current value: a rule about it would only repeat.
    refused = {p.field for p in problems}
    later = [_rp_id_problem(updated, org_hosts, base_domain), *_combination_problems(updated)]
    problems += [p for p in later if p is not None and p.field not in refused]
    if problems:
        raise PolicyInvalid(problems)
    return updated
