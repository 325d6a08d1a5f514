"""Audit events and notifications, shared by every app's actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .models import AuditEvent, Notification


def record_event(actor: Any, verb: str, obj: Any, **data: Any) -> AuditEvent:
    """Write one audit row for a state change (call inside the action's transaction)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb, object_type=obj._meta.label_lower, object_id=str(obj.pk), data=data,
    )


def notify(users: Iterable[Any], subject: str, body: str = "", url: str = "") -> None:
    """Inbox entries now (in the caller's transaction), e-mails only after it commits."""
    recipients = {u.pk: u for u in users if u is not None}
    Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, url=url)
         for u in recipients.values()]
    )
    emails = [u.email for u in recipients.values() if u.email]
    if emails:
        transaction.on_commit(
            lambda: send_mail(subject, f"{body}\n\n{url}".strip(), settings.DEFAULT_FROM_EMAIL,
                              emails, fail_silently=True)
        )
