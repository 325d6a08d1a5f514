"""Programme catalogue (seed Table 4-1 and more as data): which programmes fit a firm and a
planned budget, and how the budget splits between government, local government and the firm.

Split: public money (government + local government) is the budget times their shares, capped
at the programme's public cap; government and local government share it in proportion to their
shares; the firm pays the rest. A programme without shares gets no split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from .models import Programme


@dataclass
class Fit:
    programme: Programme
    fits: bool
    reasons: list[str] = field(default_factory=list)
    gov_mkrw: Decimal | None = None
    local_mkrw: Decimal | None = None
    firm_mkrw: Decimal | None = None
    capped: bool = False

    def as_dict(self) -> dict[str, Any]:
        p = self.programme
        return {"programme": p.external_id, "name": p.name, "fits": self.fits,
                "reasons": self.reasons, "gov_mkrw": self.gov_mkrw,
                "local_mkrw": self.local_mkrw, "firm_mkrw": self.firm_mkrw,
                "capped": self.capped, "funding": p.funding, "size": p.size,
                "content": p.content, "source": p.source}


def _q(v: Decimal) -> Decimal:
    return v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def split(p: Programme, budget: Decimal) -> tuple[Decimal, Decimal, Decimal, bool] | None:
    """(government, local government, firm, capped) in million KRW, or None without shares."""
    if p.gov_share is None or p.local_share is None:
        return None
    public_share = p.gov_share + p.local_share
    public = budget * public_share
    capped = p.public_cap_mkrw is not None and public > p.public_cap_mkrw
    if capped:
        public = Decimal(p.public_cap_mkrw)  # type: ignore[arg-type]
    gov = _q(public * p.gov_share / public_share) if public_share else Decimal(0)
    local = _q(public - gov) if public_share else Decimal(0)
    return gov, local, _q(budget - gov - local), capped


def fit(org: Any, budget: Decimal) -> list[Fit]:
    """Every programme, whether it fits this organisation and budget (and why not), and the
    split of the budget."""
    out = []
    for p in Programme.objects.all():
        reasons = []
        if org.kind not in p.eligible_kinds:
            reasons.append(_("not open to this kind of organisation (%(kind)s)")
                           % {"kind": org.get_kind_display()})
        elif org.kind == "firm" and p.sme_only and not org.is_sme:
            reasons.append(_("for SMEs only"))
        if p.min_budget_mkrw is not None and budget < p.min_budget_mkrw:
            reasons.append(_("budget below %(min)s M KRW") % {"min": p.min_budget_mkrw})
        if p.max_budget_mkrw is not None and budget > p.max_budget_mkrw:
            reasons.append(_("budget above %(max)s M KRW") % {"max": p.max_budget_mkrw})
        result = Fit(p, not reasons, reasons)
        parts = split(p, budget)
        if parts:
            result.gov_mkrw, result.local_mkrw, result.firm_mkrw, result.capped = parts
        out.append(result)
    out.sort(key=lambda f: (not f.fits, f.programme.position))
    return out
