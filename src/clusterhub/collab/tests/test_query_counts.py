"""List pages read a pinned number of queries however many rows they show."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from clusterhub.collab import actions

from .conftest import pdf_bytes

# Session, user, membership, then the page's own reads (rows with their related rows prefetched).
PINNED = {"collab:board": 6, "collab:documents": 11, "collab:changes": 8, "collab:index": 5,
          "collab:workspace": 10}


def _more(world: Any, n: int) -> None:
    owner = world.users["owner"]
    for i in range(n):
        job = actions.create_job(owner, world.ws, code=f"Q-{i}", title="금형", kind="blow_mould",
                                 supplier=world.supplier, ordered_on=date(2026, 1, 1),
                                 due_on=date(2026, 4, 1))
        doc = actions.create_document(owner, world.ws, number=f"QD-{i}", title="도면",
                                      kind="drawing", job=job)
        actions.upload(owner, doc, name="q.pdf", content=pdf_bytes(f"Q{i}"))
        actions.raise_change(owner, world.ws, title=f"변경 {i}", reason="r", origin="customer",
                             jobs=[job])


@pytest.mark.parametrize("name", sorted(PINNED))
@pytest.mark.parametrize("rows", [1, 6])
def test_pinned_query_counts(world: Any, web: Any, django_assert_num_queries: Any, name: str,
                             rows: int) -> None:
    _more(world, rows)
    url = reverse(name) if name == "collab:index" else reverse(name, args=[world.ws.pk])
    client = web("owner")
    with django_assert_num_queries(PINNED[name]):
        assert client.get(url).status_code == 200
