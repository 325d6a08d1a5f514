"""Distribution with receipts, "C supersedes B" acknowledgements, supersede flags; engineering
changes and their approval rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from clusterhub.collab import actions, queries
from clusterhub.collab.models import (
    ChangeRequest,
    Receipt,
    Revision,
    TransferError,
)
from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import Notification

from .conftest import pdf_bytes


def _release_b(world: Any) -> Revision:
    owner = world.users["owner"]
    it = actions.upload(owner, world.doc, name="D-100.pdf", content=pdf_bytes("B"))
    return actions.release(owner, it.revision)


def test_release_sends_receipts_and_notifies_recipients(world: Any) -> None:
    receipts = {r.organisation.external_id: r for r in world.rev_a.receipts.all()}
    assert set(receipts) == {"f-a", "fourth"}
    assert all(r.acknowledged_at is None and r.supersedes is None for r in receipts.values())
    subjects = set(Notification.objects.filter(user=world.users["sme"])
                   .values_list("subject", flat=True))
    assert "D-100 rev A released: acknowledge receipt" in subjects
    assert not Notification.objects.filter(user=world.users["reader"],
                                           subject__contains="D-100").exists()


def test_acknowledge_by_recipient_firm_only_once(world: Any) -> None:
    receipt = world.rev_a.receipts.get(organisation=world.supplier)
    with pytest.raises(ActionRefused) as exc:
        actions.acknowledge(world.users["owner"], receipt)
    assert exc.value.code == "forbidden"
    actions.acknowledge(world.users["sme"], receipt)
    receipt.refresh_from_db()
    assert receipt.acknowledged_by == world.users["sme"] and receipt.hours is not None
    with pytest.raises(ActionRefused) as exc:
        actions.acknowledge(world.users["supplier_manager"], receipt)
    assert exc.value.code == "invalid_transition"


def test_one_receipt_per_recipient_per_revision(world: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.create(revision=world.rev_a, organisation=world.supplier,
                               sent_at=timezone.now())


def test_supersede_flow_and_flags(world: Any) -> None:
    actions.acknowledge(world.users["sme"], world.rev_a.receipts.get(organisation=world.supplier))
    rev_b = _release_b(world)
    world.rev_a.refresh_from_db()
    assert (world.rev_a.state, rev_b.state) == ("superseded", "released")
    receipt = rev_b.receipts.get(organisation=world.supplier)
    assert receipt.supersedes == world.rev_a
    assert Notification.objects.filter(
        user=world.users["sme"], subject="D-100 rev B supersedes rev A: acknowledge receipt"
    ).exists()
    flags = queries.supersede_flags(world.doc)
    assert {(f["firm"].external_id, f["kind"], f["old"]) for f in flags} == {
        ("f-a", "unacknowledged", "A"), ("fourth", "unacknowledged", "A")}
    # The supplier keeps using A: flagged, and counted as a transfer error.
    _content, log = actions.download(world.users["sme"], world.rev_a.iterations.get())
    assert log.superseded
    assert TransferError.objects.get().kind == "superseded_used"
    actions.acknowledge(world.users["sme"], receipt)
    flags = queries.supersede_flags(world.doc)
    assert {(f["firm"].external_id, f["kind"]) for f in flags} == {
        ("fourth", "unacknowledged"), ("f-a", "downloaded")}


def test_release_needs_a_file_and_a_manager(world: Any) -> None:
    owner = world.users["owner"]
    doc = actions.create_document(owner, world.ws, number="D-5", title="빈 문서", kind="drawing")
    rev = Revision.objects.create(document=doc, index=0, letter="A")
    with pytest.raises(ActionRefused, match="no file"):
        actions.release(owner, rev)
    actions.upload(owner, doc, name="x.pdf", content=pdf_bytes("x"))
    with pytest.raises(ActionRefused) as exc:
        actions.release(world.users["sme"], rev)
    assert exc.value.code == "forbidden"
    with pytest.raises(ActionRefused, match="released already"):
        actions.release(owner, world.rev_a)


def _change(world: Any, **kwargs: Any) -> ChangeRequest:
    params: dict[str, Any] = {"title": "게이트 위치 변경", "reason": "웰드라인이 외관면에 생김",
                              "origin": "supplier", "documents": [world.doc],
                              "jobs": [world.job], "days": 4, "cost_krw": 1_200_000}
    params.update(kwargs)
    return actions.raise_change(world.users["sme"], world.ws, **params)


def test_supplier_raises_a_change_with_required_approvers(world: Any) -> None:
    cr = _change(world, approvers=[world.third])
    assert (cr.number, cr.status, cr.raised_by_firm, cr.phase) == (
        1, "open", world.supplier, "before_steel")
    assert {(a.organisation.external_id, a.required) for a in cr.approvals.all()} == {
        ("lead", True), ("f-a", True), ("third", True)}
    assert Notification.objects.filter(user=world.users["owner"],
                                       subject__startswith="ECR-1 needs your approval").exists()
    assert _change(world).number == 2


@pytest.mark.parametrize("persona", ["reader", "guest"])
def test_read_only_and_guests_cannot_raise_changes(world: Any, persona: str) -> None:
    with pytest.raises(ActionRefused) as exc:
        actions.raise_change(world.users[persona], world.ws, title="t", reason="r",
                             origin="customer", jobs=[world.job])
    assert exc.value.code == "forbidden"


def test_change_needs_reason_and_something_affected(world: Any) -> None:
    with pytest.raises(ActionRefused) as exc:
        _change(world, reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(ActionRefused) as exc:
        _change(world, documents=[], jobs=[])
    assert exc.value.field == "documents"
    assert ChangeRequest.objects.count() == 0


def test_no_apply_without_every_required_approval(world: Any) -> None:
    cr = _change(world)
    with pytest.raises(ActionRefused, match="waiting for"):
        actions.apply_change(world.users["owner"], cr)
    actions.decide(world.users["owner"], cr, approve=True)
    cr.refresh_from_db()
    assert cr.status == "open"
    with pytest.raises(ActionRefused, match="f-a|대성정밀|waiting for"):
        actions.apply_change(world.users["owner"], cr)
    with pytest.raises(ActionRefused) as exc:  # a plain member cannot approve for its firm
        actions.decide(world.users["sme"], cr, approve=True)
    assert exc.value.code == "forbidden"
    with pytest.raises(ActionRefused) as exc:  # the reader's firm is not an approver
        actions.decide(_third_manager(world), cr, approve=True)
    assert exc.value.code == "forbidden"
    actions.decide(world.users["supplier_manager"], cr, approve=True)
    cr.refresh_from_db()
    assert cr.status == "approved"
    with pytest.raises(ActionRefused) as exc:  # only the lead firm applies
        actions.apply_change(world.users["supplier_manager"], cr)
    assert exc.value.code == "forbidden"


def _third_manager(world: Any) -> Any:
    from clusterhub.collab.models import Membership
    from clusterhub.testing import make_user

    user = make_user("third_mgr", "sme", world.third)
    Membership.objects.create(workspace=world.ws, user=user, organisation=world.third,
                              role="manager")
    return user


def test_required_rejection_rejects(world: Any) -> None:
    cr = _change(world)
    with pytest.raises(ActionRefused, match="Say why"):
        actions.decide(world.users["owner"], cr, approve=False)
    actions.decide(world.users["owner"], cr, approve=False, comment="금형 재설계 필요")
    cr.refresh_from_db()
    assert cr.status == "rejected"
    with pytest.raises(ActionRefused, match="decisions are closed"):
        actions.decide(world.users["supplier_manager"], cr, approve=True)
    with pytest.raises(ActionRefused):
        actions.apply_change(world.users["owner"], cr)


def test_apply_creates_revision_and_moves_dates(world: Any) -> None:
    stages = list(world.job.stages.order_by("seq"))
    actions.close_stage(world.users["owner"], stages[0], date(2026, 1, 7),
                        evidence_revision=world.rev_a)
    cr = _change(world)
    actions.decide(world.users["owner"], cr, approve=True)
    actions.decide(world.users["supplier_manager"], cr, approve=True)
    actions.apply_change(world.users["lead_manager"], cr)
    cr.refresh_from_db()
    assert cr.status == "applied" and cr.applied_by == world.users["lead_manager"]
    rev_b = world.doc.revisions.get(letter="B")
    assert (rev_b.state, rev_b.change_request) == ("working", cr)
    assert rev_b.iterations.get().blob == world.rev_a.iterations.get().blob
    world.job.refresh_from_db()
    assert world.job.due_on == date(2026, 3, 31) + timedelta(days=4)
    assert world.job.original_due_on == date(2026, 3, 31)
    moved = {s.pk: s for s in world.job.stages.all()}
    assert moved[stages[0].pk].planned_start == stages[0].planned_start  # done: stays
    assert moved[stages[1].pk].planned_start == stages[1].planned_start + timedelta(days=4)
    with pytest.raises(ActionRefused, match="Applied"):
        actions.apply_change(world.users["owner"], cr)


def test_invitation_mail_and_acceptance(world: Any) -> None:
    from clusterhub.testing import make_user

    with pytest.raises(ActionRefused) as exc:
        actions.invite(world.users["sme"], world.ws, email="new@example.org",
                       organisation=world.third, role="member")
    assert exc.value.code == "forbidden"
    inv, token = actions.invite(world.users["owner"], world.ws, email="New@Example.org",
                                organisation=world.third, role="member")
    assert inv.email == "new@example.org" and token not in inv.token_digest
    assert len(mail.outbox) == 0  # sent on commit (the test's transaction never commits)
    stranger = make_user("stranger", "sme", world.third, email="other@example.org")
    with pytest.raises(ActionRefused, match="another e-mail"):
        actions.accept_invitation(stranger, token)
    wrong_firm = make_user("wrongfirm", "sme", world.fourth, email="new@example.org")
    with pytest.raises(ActionRefused, match="person of"):
        actions.accept_invitation(wrong_firm, token)
    invitee = make_user("invitee", "sme", world.third, email="new@example.org")
    m = actions.accept_invitation(invitee, token)
    assert (m.role, m.organisation) == ("member", world.third)
    with pytest.raises(ActionRefused, match="used already"):
        actions.accept_invitation(invitee, token)
    with pytest.raises(ActionRefused, match="does not exist"):
        actions.accept_invitation(invitee, "no-such-token")


def test_expired_invitation(world: Any) -> None:
    from clusterhub.collab.models import Invitation
    from clusterhub.testing import make_user

    inv, token = actions.invite(world.users["owner"], world.ws, email="late@example.org",
                                organisation=world.third, role="guest", days=1)
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(seconds=1),
                                                created_at=timezone.now() - timedelta(days=2))
    late = make_user("late", "sme", world.third, email="late@example.org")
    with pytest.raises(ActionRefused, match="expired"):
        actions.accept_invitation(late, token)
    with pytest.raises(ActionRefused):
        actions.invite(world.users["owner"], world.ws, email="x@example.org",
                       organisation=world.third, role="owner")


def test_invitation_page_accepts(world: Any, client_for: Any) -> None:
    from django.urls import reverse

    from clusterhub.testing import make_user

    _inv, token = actions.invite(world.users["owner"], world.ws, email="web@example.org",
                                 organisation=world.third, role="read_only")
    user = make_user("webuser", "sme", world.third, email="web@example.org")
    response = client_for(user).post(reverse("collab:invitation", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("collab:workspace", args=[world.ws.pk])
    again = client_for(user).post(reverse("collab:invitation", args=[token]))
    assert again.status_code == 400


def test_invitation_mail_goes_after_commit(world: Any,
                                           django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _inv, token = actions.invite(world.users["lead_manager"], world.ws,
                                     email="mail@example.org", organisation=world.third,
                                     role="member")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mail@example.org"] and token in mail.outbox[0].body


def test_roles_change_by_owners_and_managers(world: Any) -> None:
    from clusterhub.collab.models import Membership

    reader = Membership.objects.get(workspace=world.ws, user=world.users["reader"])
    sme = Membership.objects.get(workspace=world.ws, user=world.users["sme"])
    with pytest.raises(ActionRefused) as exc:
        actions.set_role(world.users["sme"], reader, "member")
    assert exc.value.code == "forbidden"
    with pytest.raises(ActionRefused, match="their own firm"):
        actions.set_role(world.users["supplier_manager"], reader, "member")
    actions.set_role(world.users["supplier_manager"], sme, "read_only")
    with pytest.raises(ActionRefused, match="Only an owner"):
        actions.set_role(world.users["supplier_manager"], sme, "manager")
    actions.set_role(world.users["owner"], reader, "manager")
    owner = Membership.objects.get(workspace=world.ws, user=world.users["owner"])
    with pytest.raises(ActionRefused, match="at least one owner"):
        actions.set_role(world.users["owner"], owner, "manager")
    assert Membership.objects.get(pk=sme.pk).role == "read_only"
    assert Membership.objects.get(pk=reader.pk).role == "manager"
