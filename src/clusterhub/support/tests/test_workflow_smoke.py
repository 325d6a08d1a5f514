from clusterhub.support.models import SolvedCase
from clusterhub.testing import advance, new_request


def test_request_walks_to_closed_and_publishes_anonymised_case(hub):
    req = new_request(hub, description="(주)한길금형 공장의 ADC12 하우징에서 기공 발생")
    assert req.routed_to == hub.desk
    req = advance(hub, req, "closed")
    assert req.status == "closed"
    assert [e.action for e in req.events.all()] == [
        "submit", "triage", "assign", "accept", "log_work", "resolve", "record_outcome", "close"]
    case = SolvedCase.objects.get(source_request=req)
    assert "한길금형" not in case.problem
    assert "defect rate" in case.outcome or "불량률" in case.outcome
    assert req.follow_ups.count() == 3
