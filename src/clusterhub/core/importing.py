"""The one import pipeline: JSON Lines records with a `type`, registered by each app.

Each invocation is one transaction. Records are first validated line by line and staged in the
database (so memory stays flat however long the files are), then written type by type in
dependency order, resolving references by external id, in chunks. Any error raises
`RecordError` naming file, line and field; the transaction rolls back and nothing is written.
"""

from __future__ import annotations

import json
import sys
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TextIO

from django.db import connection, models, transaction
from django.db.models import Count
from pydantic import BaseModel, ConfigDict, ValidationError

CHUNK = 2000


class RecordError(Exception):
    """A record that cannot be imported; names where and why."""

    def __init__(self, file: str, line: int | None, field: str | None, reason: str) -> None:
        self.file, self.line, self.field, self.reason = file, line, field, reason
        where = f"{file}:{line}" if line is not None else file
        what = f" field '{field}'" if field else ""
        super().__init__(f"{where}:{what} {reason}".replace(": ", ": ", 1))


class RecordSchema(BaseModel):
    """Base of record schemas: unknown fields are refused so that typos are caught."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id: str


class FieldProblem(ValueError):
    """Raised by `RecordType.row` for a value that is well-typed but not acceptable."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class Ref:
    """A field that references records of another type by external id."""

    target: str
    many: bool = False
    attr: str = ""  # model attribute; defaults to the field name


class RecordType(ABC):
    """How one record type maps onto a model. Subclasses set the class attributes."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    schema: ClassVar[type[RecordSchema]]
    refs: ClassVar[dict[str, Ref]] = {}
    key_field: ClassVar[str] = "external_id"

    def lookup(self, keys: set[str]) -> dict[str, int]:
        """Map external keys to primary keys for the existing rows among `keys`."""
        rows = self.model._default_manager.filter(**{f"{self.key_field}__in": keys})
        return dict(rows.values_list(self.key_field, "pk"))

    @abstractmethod
    def row(self, record: RecordSchema, resolved: dict[str, Any]) -> dict[str, Any]:
        """Model field values (no many-to-many) for a validated record."""

    @abstractmethod
    def to_record(self, obj: Any) -> dict[str, Any]:
        """The record that `import` takes back unchanged."""

    def export_queryset(self) -> models.QuerySet[Any]:
        many = [ref.attr or name for name, ref in self.refs.items() if ref.many]
        return self.model._default_manager.order_by("pk").prefetch_related(*many)

    def after_write(self, pks: list[int]) -> None:  # noqa: B027 - optional hook
        """Hook for derived data after a chunk is written (e.g. search index updates)."""

    @property
    def self_refs(self) -> list[str]:
        return [name for name, ref in self.refs.items() if ref.target == self.name]


REGISTRY: dict[str, RecordType] = {}


def register(record_type: type[RecordType]) -> type[RecordType]:
    """Class decorator: add a record type to the pipeline."""
    REGISTRY[record_type.name] = record_type()
    return record_type


def dependency_order() -> list[str]:
    """Types so that every type comes after the types it references."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise RuntimeError(f"record types reference each other in a cycle at {name}")
        visiting.add(name)
        for ref in REGISTRY[name].refs.values():
            if ref.target != name:
                visit(ref.target)
        visiting.discard(name)
        order.append(name)

    for name in sorted(REGISTRY):
        visit(name)
    return order


@dataclass
class ImportResult:
    counts: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Progress:
    """A one-line progress display on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream if stream is not None and stream.isatty() else None
        self.count = 0

    def step(self, label: str, n: int = 1) -> None:
        self.count += n
        if self.stream and self.count % 5000 < n:
            self.stream.write(f"\r{label}: {self.count:,} records")
            self.stream.flush()

    def done(self) -> None:
        if self.stream:
            self.stream.write("\n")


def _validate_line(path: str, lineno: int, text: str) -> tuple[str, str, dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(path, lineno, None,
                          f"malformed JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise RecordError(path, lineno, None, "a record must be a JSON object")
    rtype = data.pop("type", None)
    if not rtype:
        raise RecordError(path, lineno, "type", "missing")
    if not isinstance(rtype, str) or rtype not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise RecordError(path, lineno, "type", f"unknown type '{rtype}' (known: {known})")
    try:
        record = REGISTRY[rtype].schema.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or None
        reason = "missing" if err["type"] == "missing" else err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown field"
        raise RecordError(path, lineno, loc, reason) from None
    if not record.id:
        raise RecordError(path, lineno, "id", "must not be empty")
    return rtype, record.id, record.model_dump(mode="json")


def _stage(paths: Iterable[Path | str], batch: str, progress: Progress) -> None:
    from .models import ImportStaging

    fields = ["batch", "seq", "type", "ext_id", "file", "line", "data", "done"]
    json_field = ImportStaging._meta.get_field("data")
    buffer: list[tuple[Any, ...]] = []
    seq = 0
    for path in paths:
        name = str(path)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise RecordError(name, None, None, f"cannot read: {exc.strerror}") from None
        with handle:
            # Decode line by line (not in buffered blocks) so that an error names its own line.
            for lineno, raw in enumerate(handle, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise RecordError(name, lineno, None, "not UTF-8 text") from None
                if not text.strip():
                    continue
                rtype, ext_id, data = _validate_line(name, lineno, text)
                seq += 1
                buffer.append((batch, seq, rtype, ext_id, name, lineno,
                               json_field.get_db_prep_save(data, connection), False))
                if len(buffer) >= CHUNK:
                    _insert_rows(ImportStaging, fields, buffer)
                    progress.step("validated", len(buffer))
                    buffer = []
    if buffer:
        _insert_rows(ImportStaging, fields, buffer)
        progress.step("validated", len(buffer))
    duplicate = (
        ImportStaging.objects.filter(batch=batch).values("type", "ext_id")
        .annotate(n=Count("id")).filter(n__gt=1).order_by("type", "ext_id").first()
    )
    if duplicate:
        rows = list(ImportStaging.objects.filter(batch=batch, type=duplicate["type"],
                                                 ext_id=duplicate["ext_id"]).order_by("seq")[:2])
        first, second = rows
        raise RecordError(second.file, second.line, "id",
                          f"duplicate {duplicate['type']} id '{duplicate['ext_id']}' "
                          f"(first at {first.file}:{first.line})")


def _chunks(qs: models.QuerySet[Any]) -> Iterator[list[Any]]:
    last = 0
    while True:
        # Named tuples, not model instances: building 2,000 instances a chunk was a tenth of
        # the import's time (docs/benchmarks.md).
        chunk = list(qs.filter(seq__gt=last).order_by("seq")
                     .values_list("pk", "seq", "file", "line", "data", named=True)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].seq


def _write_type(rtype: RecordType, batch: str, result: ImportResult, progress: Progress) -> None:
    from .models import ImportStaging

    # `done__in=[False]`, not `done=False`: Django writes the latter as `NOT done`, which SQLite
    # cannot match to the (batch, type, done, seq) index, so that every chunk read and sorted all
    # of the type's staged rows (quadratic: 0.3 s a chunk at a million lines, benchmarks.md).
    staged = ImportStaging.objects.filter(batch=batch, type=rtype.name, done__in=[False])
    self_refs = rtype.self_refs
    while True:
        progressed = 0
        pending_errors: list[RecordError] = []
        for chunk in _chunks(staged):
            written = _write_chunk(rtype, chunk, self_refs, pending_errors, result)
            progressed += written
            progress.step("written", written)
        if not pending_errors:
            return
        if progressed == 0:
            # Nothing more could be written: the remaining references are unknown (or cyclic).
            raise pending_errors[0]


def _write_chunk(
    rtype: RecordType, chunk: list[Any], self_refs: list[str],
    pending_errors: list[RecordError], result: ImportResult,
) -> int:
    from .models import ImportStaging

    records = [(st, rtype.schema.model_validate(st.data)) for st in chunk]
    # Resolve references, one query per referenced type for the whole chunk.
    maps: dict[str, dict[str, int]] = {}
    for fname, ref in rtype.refs.items():
        keys: set[str] = set()
        for _st, rec in records:
            value = getattr(rec, fname)
            if value:
                keys.update(value if ref.many else [value])
        maps[fname] = REGISTRY[ref.target].lookup(keys) if keys else {}

    ready: list[tuple[Any, RecordSchema, dict[str, Any]]] = []
    for st, rec in records:
        resolved: dict[str, Any] = {}
        deferred = False
        for fname, ref in rtype.refs.items():
            value = getattr(rec, fname)
            if ref.many:
                values = value or []
                missing = [v for v in values if v not in maps[fname]]
                if missing:
                    raise RecordError(st.file, st.line, fname,
                                      f"unknown {ref.target} '{missing[0]}'")
                resolved[fname] = [maps[fname][v] for v in dict.fromkeys(values)]
            elif value:
                if value not in maps[fname]:
                    error = RecordError(st.file, st.line, fname, f"unknown {ref.target} '{value}'")
                    if fname in self_refs:
                        pending_errors.append(error)  # may appear later in this import
                        deferred = True
                        continue
                    raise error
                resolved[fname] = maps[fname][value]
            else:
                resolved[fname] = None
        if not deferred:
            ready.append((st, rec, resolved))
    if not ready:
        return 0

    model = rtype.model
    rows = []
    given: set[str] = set()
    for st, rec, resolved in ready:
        try:
            values = rtype.row(rec, resolved)
            rows.append(model(**{rtype.key_field: rec.id, **values}))
        except FieldProblem as exc:
            raise RecordError(st.file, st.line, exc.field, str(exc)) from None
        given.update(values)
    existing = rtype.lookup({rec.id for _st, rec, _r in ready})
    update_fields = [
        f.name for f in model._meta.concrete_fields
        if not f.primary_key and f.name != rtype.key_field and (f.name in given or f.attname in given)
    ]
    model._default_manager.bulk_create(
        rows, update_conflicts=True, unique_fields=[rtype.key_field],
        update_fields=update_fields,
    )
    pks = rtype.lookup({rec.id for _st, rec, _r in ready})
    for fname, ref in rtype.refs.items():
        if not ref.many:
            continue
        m2m = model._meta.get_field(ref.attr or fname)
        through = m2m.remote_field.through  # type: ignore[union-attr]
        src = m2m.m2m_field_name()  # type: ignore[union-attr]
        dst = m2m.m2m_reverse_field_name()  # type: ignore[union-attr]
        if existing:  # rows written before this import: replace their links
            ids = [pks[key] for key in existing]
            through._default_manager.filter(**{f"{src}__in": ids}).delete()
        _insert_rows(through, [src, dst], [(pks[rec.id], target)
                                           for _st, rec, resolved in ready
                                           for target in resolved[fname]])
    ImportStaging.objects.filter(pk__in=[st.pk for st, _rec, _r in ready]).update(done=True)
    rtype.after_write(list(pks.values()))
    result.counts[rtype.name] = result.counts.get(rtype.name, 0) + len(ready)
    result.created += len(ready) - len(existing)
    result.updated += len(existing)
    return len(ready)


def _insert_rows(model: type[models.Model], fields: list[str], rows: list[tuple[Any, ...]]
                 ) -> None:
    """Rows of database-ready values, inserted as they are. For staged records and link rows:
    building a model instance per row and bulk_create's per-value work took about a third of
    the import's time (docs/benchmarks.md)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column)  # type: ignore[union-attr,arg-type]
                        for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})",  # noqa: S608
            rows)


def import_files(paths: Iterable[Path | str], stream: TextIO | None = None) -> ImportResult:
    """Import JSON Lines files, all or nothing. Raises RecordError on the first bad record."""
    from .models import ImportStaging

    batch = uuid.uuid4().hex
    result = ImportResult()
    progress = Progress(stream if stream is not None else sys.stderr)
    with transaction.atomic():
        _stage(paths, batch, progress)
        for name in dependency_order():
            _write_type(REGISTRY[name], batch, result, progress)
        ImportStaging.objects.filter(batch=batch).delete()
        _analyze(result)
    progress.done()
    return result


ANALYZE_AFTER = 1000  # records of one type written by an import


def _analyze(result: ImportResult) -> None:
    """Fresh planner statistics for the tables a large import filled (PostgreSQL).

    Autovacuum analyses a table only after the import has committed, and a while later; until
    then the planner believes the tables nearly empty, and a report's COUNT(DISTINCT) joins over
    thousands of fresh link rows ran as nested loops for minutes. ANALYZE inside the import's
    transaction counts the rows it wrote."""
    if connection.vendor != "postgresql":
        return
    tables: set[str] = set()
    for name, n in result.counts.items():
        if n >= ANALYZE_AFTER and name in REGISTRY:
            model = REGISTRY[name].model
            tables.add(model._meta.db_table)
            for m2m in model._meta.local_many_to_many:
                tables.add(m2m.remote_field.through._meta.db_table)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")  # noqa: S608


def export_records(type_name: str) -> Iterator[dict[str, Any]]:
    """Every record of a type, as import takes it, ordered by external id.

    Not by primary key: an import writes records whose self-references point later in a chunk
    after the others, so pk order would change on every export/import round trip."""
    if type_name not in REGISTRY:
        raise KeyError(type_name)
    rtype = REGISTRY[type_name]
    qs = rtype.export_queryset().order_by(rtype.key_field)
    for obj in qs.iterator(chunk_size=CHUNK):
        yield {"type": rtype.name, "id": getattr(obj, rtype.key_field), **rtype.to_record(obj)}


def keys_of(objs: Iterable[Any], attr: str = "external_id") -> list[str]:
    return [getattr(o, attr) for o in objs]


Resolver = Callable[[set[str]], dict[str, int]]
