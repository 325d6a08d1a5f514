"""Models of the collab app."""

from django.db import models  # noqa: F401

