"""Organisations sign up by themselves, on the platform host: the SaaS front door.

A request waits for its email to be confirmed; only then are the organisation (through the
same tenants service as the CLI) and its first admin created, and the admin's browser is
handed over to the new org's host with a one-time, short-lived link. Every attempt lands
in the platform audit log. No link secret is stored: the confirmation token is an HMAC of
the request's id and nonce, computed when the mail is sent and again when the link returns.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from auth_methods.addresses import email_address
from auth_methods.audit import Actor, audit_record
from auth_methods.budgets import Budget, budgets_spend
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.recovery import link_issue
from auth_methods.users import user_create
from tenants.context import use_public_schema, with_org
from tenants.hosts import origin_for_host
from tenants.models import Organisation, SignupInvitation, SignupRequest
from tenants.platform_audit import platform_audit
from tenants.selectors import org_origins
from tenants.services import OrgError, org_create, slug_problem, slug_suggestions

MODES = ("open", "closed", "invite")
LINK_TTL = timedelta(hours=1)
# The hand-over link travels from the platform page to the org host at once: minutes suffice.
HANDOVER_TTL = timedelta(minutes=10)
# A claim older than this is taken to be from a process that died while creating the org.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Longer than a send task's retries take to start, so the sweep re-queues only lost mails.
MAIL_SWEEP_AFTER = timedelta(minutes=5)
MAIL_SWEEP_BATCH = 500
# 10 requests per client address and 20 per email domain, per hour: a team that mistypes
# gets through; a script that floods someone's inbox or squats slugs does not.
PER_CLIENT = (10, 3600)
PER_EMAIL_DOMAIN = (20, 3600)


@dataclass(frozen=True)
class SlugVerdict:
    slug: str
    available: bool
    reason: str | None
    suggestions: list[str]


@dataclass(frozen=True)
class Handover:
    org: Organisation
    url: str


def signup_mode() -> str:
    mode: str = settings.SIGNUP_MODE
    return mode


def slug_check(slug: str) -> SlugVerdict:
    slug = slug.strip().lower()[:60]
    problem = slug_problem(slug)
    suggestions = slug_suggestions(slug) if problem else []
    return SlugVerdict(
        slug=slug, available=problem is None, reason=problem, suggestions=suggestions
    )


def _code_hash(code: str) -> str:
    return salted_hmac("passgate.signup-invitation", code.strip(), algorithm="sha256").hexdigest()


def invitation_create(*, note: str = "", uses: int = 1) -> str:
    """A new invitation code for ``PASSGATE_SIGNUP=invite``; shown once, stored hashed."""
    code = secrets.token_urlsafe(12)
    SignupInvitation.objects.create(code_hash=_code_hash(code), note=note[:200], uses_left=uses)
    return code


def _clean(org_name: str, slug: str, email: str) -> tuple[str, str, str]:
    org_name, slug, email = org_name.strip(), slug.strip().lower(), email.strip().lower()
    if not org_name or len(org_name) > 200 or "\x00" in org_name:
        raise AuthError.of(
            "invalid_request", "The organisation name must be 1-200 characters.", field="org_name"
        )
    if email_address(email) is None:
        raise AuthError.of(
            "invalid_request", "Enter the email address of the first admin.", field="email"
        )
    problem = slug_problem(slug)
    if problem is not None:
        raise AuthError.of("invalid_request", problem, field="slug")
    return org_name, slug, email


def _throttle(ip: str | None, email: str) -> None:
    domain = email.rpartition("@")[2]
    budgets: list[Budget] = [(f"rl:signup:domain:{domain}", PER_EMAIL_DOMAIN)]
    if ip is not None:
        budgets.append((f"rl:signup:ip:{ip}", PER_CLIENT))
    budgets_spend(budgets, "Too many sign-ups from here; try again in an hour.")


def signup_request(
    *, org_name: str, slug: str, email: str, ip: str | None, invitation: str = ""
) -> None:
    """Record a sign-up and email its confirmation link; nothing else is created yet.

    The answer is the same whether or not the address already has a request or an org, so
    asking twice tells nobody which emails exist. Raises ``forbidden`` when sign-up is
    closed or the invitation code is wrong, ``invalid_request`` for bad input,
    ``rate_limited`` past the budgets; every attempt is audited.
    """
    use_public_schema()
    subject = f"{slug.strip().lower()[:40]} <{email.strip().lower()[:200]}>"
    try:
        if signup_mode() == "closed":
            raise AuthError.of("forbidden", "Sign-up is closed on this platform.")
        org_name, slug, email = _clean(org_name, slug, email)
        _throttle(ip, email)
        invited = None
        if signup_mode() == "invite":
            invited = SignupInvitation.objects.filter(
                code_hash=_code_hash(invitation), uses_left__gt=0
            ).first()
            if invited is None:
                raise AuthError.of(
                    "forbidden", "This invitation code is not valid.", field="invitation"
                )
        with transaction.atomic():
            request = SignupRequest.objects.create(
                nonce=secrets.token_hex(16),
                org_name=org_name,
                slug=slug,
                email=email,
                ip=ip,
                invitation=invited,
                expires_at=timezone.now() + LINK_TTL,
            )
            platform_audit("signup.request", "success", ip=ip, subject=subject)
            # robust: the request is kept even when the broker is down; the sweep queues it.
            transaction.on_commit(lambda: _queue_mail(request.pk), robust=True)
    except AuthError as exc:
        platform_audit("signup.request", exc.code, ip=ip, subject=subject)
        raise


def _queue_mail(request_id: object) -> None:
    from auth_methods.tasks import send_signup_mail

    send_signup_mail.delay(str(request_id))


def signup_mails_sweep() -> int:
    """Queue again every confirmation mail still unsent a while after its request (its task
    was lost: the broker was down at sign-up, a worker died mid-send); returns how many.

    A mail sent twice carries one ``Message-ID``, so receivers can fold the repeat."""
    use_public_schema()
    now = timezone.now()
    lost = SignupRequest.objects.filter(
        state=SignupRequest.State.PENDING,
        mail_sent_at__isnull=True,
        created_at__lt=now - MAIL_SWEEP_AFTER,
        expires_at__gt=now,
    ).values_list("pk", flat=True)[:MAIL_SWEEP_BATCH]
    ids = list(lost)
    for request_id in ids:
        _queue_mail(request_id)
    return len(ids)


def _token(request: SignupRequest) -> str:
    return salted_hmac(
        "passgate.signup-link", f"{request.pk}:{request.nonce}", algorithm="sha256"
    ).hexdigest()


def signup_link(request: SignupRequest) -> str:
    origin = origin_for_host(settings.BASE_DOMAIN)
    return f"{origin}/signup/confirm/{request.pk}/{_token(request)}"


def signup_mail_send(request_id: str) -> bool:
    """Send the confirmation mail of one request, once; the link is made now, not stored.

    The ``Message-ID`` is derived from the request, so a repeat after a crash between the
    SMTP answer and the commit is recognisable as the same mail by the receiver."""
    use_public_schema()
    request = SignupRequest.objects.filter(
        pk=request_id, mail_sent_at__isnull=True, state=SignupRequest.State.PENDING
    ).first()
    if request is None:
        return False
    minutes = int(LINK_TTL / timedelta(minutes=1))
    body = (
        f"Someone (hopefully you) asked to create the organisation {request.org_name!r} "
        f"({request.slug}) on Passgate with this address as its first admin.\n\n"
        f"Confirm within {minutes} minutes to create it:\n{signup_link(request)}\n\n"
        "If this was not you, ignore this mail: nothing is created without your confirmation."
    )
    domain = settings.BASE_DOMAIN
    message = EmailMessage(
        subject=f"Confirm your Passgate organisation {request.slug}",
        body=body,
        to=[request.email],
        headers={"Message-ID": f"<signup.{request.pk}@{domain}>"},
    )
    message.send()
    SignupRequest.objects.filter(pk=request.pk).update(mail_sent_at=timezone.now())
    return True


def _claim(request_id: str, token: str) -> SignupRequest:
    request = SignupRequest.objects.filter(pk=request_id).first()
    if request is None or not hmac.compare_digest(_token(request), token):
        raise AuthError("challenge_invalid", "This confirmation link is unknown.")
    now = timezone.now()
    claimable = Q(state=SignupRequest.State.PENDING) | Q(
        state=SignupRequest.State.CREATING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    # One conditional UPDATE decides which of two concurrent confirmations creates the org.
    claimed = SignupRequest.objects.filter(claimable, pk=request.pk, expires_at__gt=now).update(
        state=SignupRequest.State.CREATING, claimed_at=now
    )
    if claimed:
        request.refresh_from_db()
        return request
    request.refresh_from_db()
    if request.state == SignupRequest.State.DONE:
        raise AuthError("challenge_invalid", "This link was already used: sign in instead.")
    if request.expires_at <= now:
        raise AuthError("challenge_expired", "This link has expired; sign up again.")
    raise AuthError.of("invalid_request", "Your organisation is being created; reload shortly.")


def _release(request: SignupRequest) -> None:
    SignupRequest.objects.filter(pk=request.pk).update(state=SignupRequest.State.PENDING)


def _spend_invitation(request: SignupRequest) -> bool:
    """One use of the request's invitation, decided by one conditional UPDATE (an invitation
    for one org cannot be confirmed twice by two requests racing)."""
    if request.invitation_id is None:
        return True
    spent = SignupInvitation.objects.filter(pk=request.invitation_id, uses_left__gt=0).update(
        uses_left=F("uses_left") - 1
    )
    return bool(spent)


def signup_confirm(*, request_id: str, token: str, ip: str | None) -> Handover:
    """Create the organisation and its first admin for a confirmed request; return where the
    admin's browser goes next: a one-time link on the new org's host that signs them in to
    register a passkey. A second use of the link creates nothing."""
    use_public_schema()
    try:
        request = _claim(request_id, token)
    except AuthError as exc:
        platform_audit("signup.confirm", exc.code, ip=ip, subject=str(request_id)[:40])
        raise
    if not _spend_invitation(request):
        _release(request)
        platform_audit("signup.confirm", "forbidden", ip=ip, subject=request.slug)
        raise AuthError.of("forbidden", "The invitation code has been used up meanwhile.")
    try:
        created = org_create(slug=request.slug, name=request.org_name)
    except OrgError as exc:
        _release(request)
        platform_audit("signup.confirm", "invalid_request", ip=ip, subject=request.slug)
        raise AuthError.of("invalid_request", f"{exc} Sign up again with another.") from None
    org = created.org
    actor = Actor(label="signup", ip=ip)
    with with_org(org):
        admin = user_create(email=request.email, role=User.Role.ADMIN, actor=actor)
        User.objects.filter(pk=admin.pk).update(passkey_enrolment_required=True)
        token = link_issue(admin, HANDOVER_TTL)
        audit_record(actor=actor, action="org.signup", subject=admin)
    use_public_schema()
    SignupRequest.objects.filter(pk=request.pk).update(state=SignupRequest.State.DONE, org=org)
    platform_audit("signup.confirm", "success", ip=ip, subject=request.slug)
    return Handover(org=org, url=f"{org_origins(org)[0]}/welcome/{token}")


def signups_purge_expired() -> int:
    """Drop unconfirmed requests past their expiry (the audit log keeps the attempt)."""
    use_public_schema()
    deleted, _ = SignupRequest.objects.filter(
        state=SignupRequest.State.PENDING, expires_at__lt=timezone.now()
    ).delete()
    return deleted
