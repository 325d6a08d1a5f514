"""Background tasks of the desk (django-tasks API; run by `clusterhub db_worker`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from clusterhub.core.audit import notify


@task()
def send_follow_up(follow_up_id: int) -> str:
    """Ask the firm how things stand, N months after the case was closed."""
    from clusterhub.core.models import Role

    from .models import FollowUp

    with transaction.atomic():
        fu = (FollowUp.objects.select_for_update().select_related("request")
              .filter(pk=follow_up_id).first())
        if fu is None or fu.sent_at is not None:
            return "skipped"
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(profile__organisation_id=fu.request.firm_id,
                                                profile__role=Role.SME, is_active=True)
        notify(users,
               _("%(m)d-month check-in: %(title)s") % {"m": fu.months, "title": fu.request.title},
               _("How have the results of this support held up? Please answer on the case page."),
               fu.request.get_absolute_url())
        fu.sent_at = timezone.now()
        fu.save(update_fields=["sent_at"])
    return "sent"
