"""Shared fixtures: personas and clients (see src/clusterhub/testing.py)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

os.environ.setdefault("CLUSTERHUB_DATA_DIR", tempfile.mkdtemp(prefix="clusterhub-test-"))


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Personas have passwords; PBKDF2 would spend seconds per test hashing them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hub(db: Any) -> Any:
    from clusterhub.testing import build_hub

    return build_hub()


@pytest.fixture
def client_for(client: Any) -> Any:
    """client_for(user) -> a test client logged in as that user (None: anonymous)."""
    from django.test import Client

    def make(user: Any) -> Any:
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for(db: Any) -> Any:
    """api_for(user) -> a client whose requests carry that user's bearer token."""
    from django.test import Client

    from clusterhub.core.actions import create_token

    def make(user: Any) -> Any:
        if user is None:
            return Client()
        _row, token = create_token(None, user)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make
