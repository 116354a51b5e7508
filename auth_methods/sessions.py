"""Browser sessions: the one place that signs a person in, for every sign-in door."""

from __future__ import annotations

import time

from django.contrib.auth import login
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

from auth_methods.audit import Actor, Via
from auth_methods.models import User

PENDING = "passgate_pending_user"  # password accepted, second factor still due
PENDING_AT = "passgate_pending_at"
# The half-done sign-in began with the password (not a recovery link): only such a one may
# enrol the second factor a user lacks (``enrolment.py``).
PENDING_FROM_LOGIN = "passgate_pending_from_login"
# A password proves little on its own: its half-done sign-in lapses if the second factor does
# not follow soon, and the password is asked again.
PENDING_SECONDS = 600
AUTH_AT = "passgate_auth_at"  # when the person last proved who they are (for step-up)
RECOVERY_AT = "passgate_recovery_at"  # a recovery link signed this session in, no factor yet
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _end_pending(request: HttpRequest) -> None:
    for key in (PENDING, PENDING_AT, PENDING_FROM_LOGIN):
        request.session.pop(key, None)


def start_session(request: HttpRequest, user: User) -> None:
    _end_pending(request)
    login(request, user, backend=BACKEND)  # rotates the session key (no fixation)
    request.session.pop(RECOVERY_AT, None)
    request.session[AUTH_AT] = int(time.time())


def start_recovery_session(request: HttpRequest, user: User) -> None:
    """Sign in the holder of a recovery link without a sign-in time: the session may enrol a
    passkey and remove the lost ones (``reauth``'s ``recovery_allows``) and nothing else
    sensitive until its person proves themself again with a factor."""
    _end_pending(request)
    login(request, user, backend=BACKEND)
    request.session.pop(AUTH_AT, None)
    request.session[RECOVERY_AT] = int(time.time())


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[AUTH_AT] = int(time.time())


def set_pending(request: HttpRequest, user: User, *, after_password: bool) -> None:
    request.session.cycle_key()
    request.session[PENDING] = user.pk
    request.session[PENDING_AT] = int(time.time())
    if after_password:
        request.session[PENDING_FROM_LOGIN] = True
    else:
        request.session.pop(PENDING_FROM_LOGIN, None)


def pending_user(request: HttpRequest) -> User | None:
    """The user whose password was accepted within the last 10 minutes, if still active."""
    pk = request.session.get(PENDING)
    started = request.session.get(PENDING_AT, 0)
    if not pk or time.time() - started > PENDING_SECONDS:
        return None
    user: User | None = User.objects.filter(pk=pk, is_active=True).first()
    return user


def sessions_purge_expired() -> int:
    """Delete this org's expired browser sessions (Django keeps them until asked); returns
    how many went."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def pending_actor(request: HttpRequest) -> Actor | None:
    """The person of a half-done sign-in that began with their password, as the actor of the
    one change it may make: enrolling the second factor they lack (``enrolment.py``; no page
    or API call other than that step's builds this actor). The password, checked when the
    half-done sign-in began, is their proof for step-up; both lapse after 10 minutes."""
    user = pending_user(request)
    if user is None or request.session.get(PENDING_FROM_LOGIN) is not True:
        return None
    return Actor(
        user=user,
        label=user.email,
        ip=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:500],
        via=Via.SESSION,
        authenticated_at=float(request.session[PENDING_AT]),
    )


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a trusted proxy rewrites it.
    ip = request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def browser_actor(request: HttpRequest) -> Actor:
    """The person behind a browser request, whatever the door (portal page or session REST):
    a session actor carrying when they last proved who they are, or an anonymous one."""
    found = getattr(request, "user", None)
    user = found if isinstance(found, User) and found.is_authenticated else None
    auth_at = request.session.get(AUTH_AT) if user is not None else None
    recovered_at = request.session.get(RECOVERY_AT) if user is not None else None
    return Actor(
        user=user,
        label=user.email if user is not None else "anonymous",
        ip=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:500],
        via=Via.SESSION if user is not None else Via.ANONYMOUS,
        authenticated_at=float(auth_at) if isinstance(auth_at, int | float) else None,
        recovered_at=float(recovered_at) if isinstance(recovered_at, int | float) else None,
    )
