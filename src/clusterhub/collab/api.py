"""The collab part of /api/v1/."""

from ninja import Router

router = Router(tags=["collab"])
