"""The passkey policy page: every field, a dry run with its lockout pre-flight (the same
preview service as the API's), then the one settings service; below it, the history of
changes. No rule of its own lives here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from auth_methods.errors import AuthError
from auth_methods.lockout import LockoutPreview
from auth_methods.models import AuditEvent
from auth_methods.policy_validation import PolicyInvalid
from auth_methods.settings_preview import SettingsPreview, auth_settings_preview
from auth_methods.settings_service import auth_settings_update
from portal.decorators import require_org_admin, require_recent_auth
from portal.forms import add_auth_error
from portal.forms_policy import MODEL_CAVEAT, PolicyForm
from portal.views.context import actor_of, org_of, policy_of
from tenants.models import Organisation

HISTORY_LIMIT = 50


@require_http_methods(["GET", "POST"])
@require_org_admin
def auth_settings(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        return _save(request, slug)
    return _page(request, PolicyForm(policy=policy_of(request)))


@require_recent_auth
def _save(request: HttpRequest, slug: str) -> HttpResponse:
    org = org_of(request)
    form = PolicyForm(request.POST, policy=policy_of(request))
    dry_run = _dry_run(form, org)
    if dry_run is None:
        return _page(request, form, status=400)
    preview = dry_run.lockout
    confirmed = form.cleaned_data["confirm_lockout"]
    if preview.needs_confirmation and confirmed != preview.fingerprint:
        # Nothing is saved until the admin confirms this very list of people.
        return _page(request, form, preview=preview, stale=bool(confirmed))
    try:
        auth_settings_update(org=org, actor=actor_of(request), changes=form.changes())
    except AuthError as exc:  # e.g. the organisation's hosts changed since the dry run
        _show_error(form, exc)
        return _page(request, form, status=400)
    messages.success(request, "Passkey policy saved.")
    for note in preview.registration_notes:
        messages.info(request, note)
    return HttpResponseRedirect(request.path)


def _dry_run(form: PolicyForm, org: Organisation) -> SettingsPreview | None:
    """What the form's change would do (the API's preview service), or None with every error
    on its field. The service judges the well-formed inputs even when others are malformed,
    so the page shows all the problems at once rather than one per attempt."""
    well_formed = form.is_valid()
    try:
        preview = auth_settings_preview(org=org, changes=form.changes())
    except AuthError as exc:
        _show_error(form, exc)
        return None
    return preview if well_formed else None


def _show_error(form: PolicyForm, error: AuthError) -> None:
    if not isinstance(error, PolicyInvalid):
        add_auth_error(form, error)
        return
    for problem in error.problems:
        # Next to its input the message need not name the field its label already names.
        message = problem.message[:1].upper() + problem.message[1:]
        add_auth_error(form, AuthError(error.code, message, field=problem.field))


def _page(
    request: HttpRequest,
    form: PolicyForm,
    *,
    preview: LockoutPreview | None = None,
    stale: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "section": "settings",
        "form": form,
        "sections": form.sections(),
        "preview": preview,
        "stale": stale,
        "model_caveat": MODEL_CAVEAT,
        "history": _history(),
    }
    return render(request, "portal/auth_settings.html", context, status=status)


def _history() -> list[dict[str, Any]]:
    events = AuditEvent.objects.filter(
        action="auth_settings.update", outcome=AuditEvent.Outcome.SUCCESS
    ).only("created_at", "actor_label", "ip", "data")[:HISTORY_LIMIT]
    rows = []
    for event in events:
        before, after = event.data.get("before", {}), event.data.get("after", {})
        changes = [
            (name, _shown(name, before.get(name)), _shown(name, after[name])) for name in after
        ]
        rows.append({"event": event, "changes": changes})
    return rows


def _shown(name: str, value: object) -> str:
    if value is None:
        return "default"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list) and name == "trusted_attestation_roots":
        return f"{len(value)} certificate{'' if len(value) == 1 else 's'}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
