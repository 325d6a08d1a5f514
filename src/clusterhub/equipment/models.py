"""Models of the equipment app."""

from django.db import models  # noqa: F401

