"""The cluster directory: regions, technology fields, clusters, organisations, experts, and the
cross-cutting records (accounts' roles, API tokens, audit events, notifications)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import GeneratedField, Q, Value
from django.db.models.functions import Cast, Concat, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Region(models.Model):
    """One of the 17 metropolitan/provincial regions (시도)."""

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=40)
    short_name = models.CharField(_("short name"), max_length=10, unique=True)
    name_en = models.CharField(_("English name"), max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class TechField(models.Model):
    """A node of the technology taxonomy (root technologies and cluster industries)."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["external_id"]
        verbose_name = _("technology field")
        verbose_name_plural = _("technology fields")

    def __str__(self) -> str:
        return self.name


class TextJSONEncoder(json.JSONEncoder):
    """JSON with non-ASCII text as it is, not \\u-escaped (json.dumps' default). SQLite
    keeps JSON as the text it is given, so its keywords read, and are searched, as Korean."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def searchable_text(*columns: str) -> GeneratedField:
    """A column the database keeps: the given columns as one lower-cased text (JSON as its
    text), which a directory search matches words in (`search_text_q`).

    One LIKE on one column per word: matching name, name_en and the JSON keywords one by one
    (casting JSON to text on PostgreSQL, the escaped form too on SQLite) was too slow at 100,000
    organisations (docs/benchmarks.md)."""
    parts: list[Any] = []
    for column in columns:
        parts += [Cast(column, models.TextField()), Value(" ", models.TextField())]
    return GeneratedField(expression=Lower(Concat(*parts[:-1], output_field=models.TextField())),
                          output_field=models.TextField(), db_persist=True)


def search_text_q(word: str) -> Q:
    """`search_text` contains `word`, ignoring case as the icontains lookup does."""
    # SQLite's lower() and LIKE fold ASCII letters only: give the word as it is there.
    return Q(search_text__contains=word if connection.vendor == "sqlite" else word.lower())


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def for_public_display(self) -> OrganisationQuerySet:
        """The public directory: everything but private firm figures (which views omit)."""
        return self.select_related("region", "parent")

    def support_providers(self) -> OrganisationQuerySet:
        return self.exclude(kind=Organisation.Kind.FIRM)

    def firms(self) -> OrganisationQuerySet:
        return self.filter(kind=Organisation.Kind.FIRM)

    def search(self, text: str) -> OrganisationQuerySet:
        """Every word in the name, the English name or a keyword (case-insensitive)."""
        qs = self
        for word in text.split():
            qs = qs.filter(search_text_q(word))
        return qs


class Organisation(models.Model):
    """Any actor of the cluster: firm, institute, centre, university, technopark, agency."""

    class Kind(models.TextChoices):
        FIRM = "firm", _("Firm")
        GRI = "gri", _("Government research institute")
        GRI_CENTRE = "gri_centre", _("GRI regional centre / branch")
        UNIVERSITY = "university", _("University")
        TECHNOPARK = "technopark", _("Technopark")
        RIC = "ric", _("Regional innovation centre")
        AGENCY = "agency", _("Support agency")
        FINANCE = "finance", _("Financial institution")

    class Sector(models.TextChoices):
        MINING = "mining", _("Mining")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        FISHERIES = "fisheries", _("Fisheries")
        TRANSPORT = "transport", _("Transport")
        CONSTRUCTION = "construction", _("Construction")
        COMMERCE = "commerce", _("Commerce")
        SERVICES = "services", _("Services")

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="branches",
        verbose_name=_("parent institute"),
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    url = models.CharField(_("web site"), max_length=300, blank=True)
    fields = models.ManyToManyField(TechField, blank=True, related_name="organisations")
    keywords = models.JSONField(_("keywords"), default=list, blank=True, encoder=TextJSONEncoder)
    is_support_desk = models.BooleanField(
        _("support desk"), default=False,
        help_text=_("Its coordinators receive new support requests from its region."),
    )
    # Firms
    sector = models.CharField(
        _("sector"), max_length=16, choices=Sector.choices, blank=True, default=""
    )
    employees = models.PositiveIntegerField(_("regular employees"), null=True, blank=True)
    is_sme_override = models.BooleanField(_("SME (explicit)"), null=True, blank=True)
    is_sme = models.BooleanField(_("SME"), default=False, db_index=True, editable=False)
    sales_mkrw = models.DecimalField(_("sales (M KRW)"), max_digits=14, decimal_places=1,
                                     null=True, blank=True)
    rnd_mkrw = models.DecimalField(_("R&D spend (M KRW)"), max_digits=14, decimal_places=1,
                                   null=True, blank=True)
    exports_mkrw = models.DecimalField(_("exports (M KRW)"), max_digits=14, decimal_places=1,
                                       null=True, blank=True)
    innobiz = models.BooleanField(_("Inno-Biz"), default=False)
    venture = models.BooleanField(_("venture firm"), default=False)
    # GRI branches (Table 3-1)
    branch_category = models.CharField(_("branch category"), max_length=40, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    staff = models.PositiveIntegerField(_("staff"), null=True, blank=True)
    facilities = models.CharField(_("facilities"), max_length=300, blank=True)
    budget_2004_eok = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    budget_2005_eok = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    budget_2006_eok = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    search_text = searchable_text("name", "name_en", "keywords")

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="gri_centre") | Q(parent__isnull=False),
                name="gri_centre_has_parent",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="organisation_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "region"]),
            # "Firms" (99% of rows) in name order, read off the index, not sorted (benchmarks.md).
            models.Index(fields=["kind", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        from .sme import is_sme

        self.is_sme = is_sme(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "is_sme"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("organisation", args=[self.pk])


class Cluster(models.Model):
    """A pilot industrial-complex innovation cluster (Table 3-4)."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="clusters")
    complex = models.CharField(_("industrial complex"), max_length=120, blank=True)
    strategic_industries = models.ManyToManyField(TechField, blank=True, related_name="clusters")
    institutes = models.ManyToManyField(Organisation, blank=True, related_name="clusters")
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cluster", args=[self.pk])


class ExpertQuerySet(models.QuerySet["Expert"]):
    def search(self, text: str) -> ExpertQuerySet:
        """Every word in the name, a keyword, the biography or the organisation's name."""
        qs = self
        for word in text.split():
            # A word without upper or lower case (Korean) matches the same either way, and a
            # plain LIKE is a third of the cost of PostgreSQL's UPPER(name) LIKE UPPER(word).
            caseless = word.lower() == word.upper()
            orgs = Organisation.objects.filter(
                **{"name__contains" if caseless else "name__icontains": word}).values("pk")
            qs = qs.filter(search_text_q(word) | Q(organisation__in=orgs))
        return qs


class Expert(models.Model):
    """A person who gives support; optionally linked to a login."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=80, db_index=True)
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=80, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="experts"
    )
    fields = models.ManyToManyField(TechField, blank=True, related_name="experts")
    keywords = models.JSONField(_("keywords"), default=list, blank=True, encoder=TextJSONEncoder)
    bio = models.TextField(_("biography"), blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=3, help_text=_("Open cases at once.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="expert",
    )
    search_text = searchable_text("name", "keywords", "bio")

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("expert", args=[self.pk])


class Role(models.TextChoices):
    SME = "sme", _("SME member")
    EXPERT = "expert", _("Expert")
    COORDINATOR = "coordinator", _("Coordinator")
    ADMIN = "admin", _("Hub admin")
    ANALYST = "analyst", _("Analyst")


class Profile(models.Model):
    """A user's role in the hub and the organisation they act for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )

    class Meta:
        verbose_name = _("profile")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["admin", "analyst"]) | Q(organisation__isnull=False),
                name="profile_org_required_for_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class AuditEvent(models.Model):
    """One row per state change anywhere in the hub: who did what to which object, when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """An in-app inbox entry (also sent by e-mail after commit)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.subject


def role_of(user: Any) -> str | None:
    """The hub role of a user (None for anonymous or a user without a profile)."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "profile", None)
    return profile.role if profile else None


class ImportStaging(models.Model):
    """Validated records of an import in progress (rolled back with it on any error)."""

    batch = models.CharField(max_length=32)
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=32)
    ext_id = models.CharField(max_length=128)
    file = models.CharField(max_length=500)
    line = models.PositiveIntegerField()
    data = models.JSONField()
    done = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["batch", "type", "done", "seq"]),
            models.Index(fields=["batch", "type", "ext_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"
