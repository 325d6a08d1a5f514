"""The CLI (`clusterhub match`, `match-index`, `eval-matching`) and `GET /api/v1/match`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clusterhub.support.models import SolvedCase

from .demo import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

QUERY = "ADC12 다이캐스팅 기공 불량"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_match_json() -> None:
    rows = json.loads(run("match", QUERY, "--json", "--limit", "4", "--region", "경남"))
    assert len(rows) == 4
    assert all(row.keys() == {"kind", "id", "name", "score", "reasons"} for row in rows)
    assert rows[0]["score"] >= rows[-1]["score"]


def test_match_kinds_and_table() -> None:
    rows = json.loads(run("match", QUERY, "--json", "--kinds", "case", "expert"))
    assert {r["kind"] for r in rows} <= {"case", "expert"}
    rows = json.loads(run("match", QUERY, "--json", "--kinds", "case,organisation"))
    assert {r["kind"] for r in rows} <= {"case", "organisation"}
    table = run("match", QUERY, "--limit", "2")
    assert " 1. " in table and "같은 분야" in table
    with pytest.raises(CommandError):
        run("match", QUERY, "--kinds", "robots")
    with pytest.raises(CommandError):
        run("match")


def test_match_batch(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "text": "도금 박리"}\n\n'
                    '{"id": 7, "text": "사출 싱크마크", "region": "경기"}\n', encoding="utf-8")
    lines = [json.loads(x) for x in run("match", "--batch", str(path), "--limit", "3",
                                        "--kinds", "case").splitlines()]
    assert [x["id"] for x in lines] == ["a", 7]
    assert all(len(x["results"]) == 3 and x["results"][0]["kind"] == "case" for x in lines)
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(CommandError):
        run("match", "--batch", str(path))


def test_match_index_command() -> None:
    assert "usable: True" in run("match_index")
    status = json.loads(run("match_index", "--json"))
    assert status["usable"] and status["build"]["docs"]["case"] == SolvedCase.objects.count()
    out = run("match_index", "--rebuild")
    assert ": done," in out


def test_eval_matching(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    rows = [json.loads(x) for x in (Path(__file__).parents[1] / "eval" / "labels.jsonl")
            .read_text(encoding="utf-8").splitlines()[:3]]
    labels.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                      encoding="utf-8")
    out = run("eval_matching", str(labels))
    for word in ("nDCG@10", "recall@10", "MRR@10", "clusterhub", "bm25-kiwi", "bm25-whitespace",
                 "expert", "case"):
        assert word in out
    result = json.loads(run("eval_matching", str(labels), "--json", "--no-baseline"))
    assert set(result["figures"]["expert"]) == {"clusterhub"}
    assert result["figures"]["case"]["clusterhub"]["queries"] == 3
    with pytest.raises(CommandError):
        run("eval_matching", str(tmp_path / "missing.jsonl"))


def test_api_anonymous(client: Any) -> None:
    r = client.get("/api/v1/match", {"q": QUERY, "kinds": "expert,case", "limit": 5})
    assert r.status_code == 200
    rows = r.json()
    assert len(rows) == 5 and {x["kind"] for x in rows} <= {"expert", "case"}
    assert all(x.keys() == {"kind", "id", "name", "score", "reasons", "url"} for x in rows)
    case = next(x for x in rows if x["kind"] == "case")
    assert case["url"].startswith("/cases/")
    # Unpublished cases are not public.
    SolvedCase.objects.filter(external_id=case["id"]).update(published=False)
    again = client.get("/api/v1/match", {"q": QUERY, "kinds": "case", "limit": 10}).json()
    assert case["id"] not in [x["id"] for x in again]


def test_api_staff_sees_unpublished_cases(api_for: Any) -> None:
    from clusterhub.core.models import Organisation
    from clusterhub.testing import make_user

    desk = Organisation.objects.filter(is_support_desk=True).first()
    coordinator = make_user("coord-m", "coordinator", desk)
    top = api_for(None).get("/api/v1/match", {"q": QUERY, "kinds": "case"}).json()[0]
    SolvedCase.objects.filter(external_id=top["id"]).update(published=False)
    rows = api_for(coordinator).get("/api/v1/match", {"q": QUERY, "kinds": "case"}).json()
    assert top["id"] in [x["id"] for x in rows]


@pytest.mark.parametrize("params", [
    {"q": QUERY, "kinds": "robots"}, {"q": ""}, {}, {"q": QUERY, "limit": 500},
    {"q": QUERY, "limit": 0},
])
def test_api_rejects_bad_input(client: Any, params: dict[str, Any]) -> None:
    r = client.get("/api/v1/match", params)
    assert r.status_code == 422
    assert set(r.json()) == {"code", "message", "field"}


def test_api_equipment_kind_is_accepted(client: Any) -> None:
    r = client.get("/api/v1/match", {"q": QUERY, "kinds": "equipment"})
    assert r.status_code == 200 and r.json() == []


def test_console_command_takes_the_hyphenated_names(capsys: Any) -> None:
    from clusterhub.cli import main

    main(["clusterhub", "match-index", "--json"])
    assert "usable" in json.loads(capsys.readouterr().out)
