"""The shared catalog of source records, referenced by id from registry files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from ..errors import SOURCE_ID, ZooError, shown
from ..provenance import Provenance
from .yaml_io import read_yaml

CATALOG_FILE = "sources.yaml"
CATALOG_DIR = "sources"
SOURCE_ID_FIX = ("use ASCII letters, digits, '.', '_' and '-', starting with a letter or digit, "
                 "at most 120 characters (e.g. nvidia-h100-datasheet)")


def format_validation_error(exc: ValidationError) -> list[tuple[str, str]]:
    """(dotted location, message) pairs from a pydantic error, messages without pydantic's prefixes."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        message = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if message.startswith(prefix):
                message = message[len(prefix):]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        if "input" in err and err["type"] not in ("extra_forbidden", "missing", "value_error"):
            message += f" (got {shown(err['input'])})"
        out.append((loc, message))
    return out


def build_record(data: Any, *, record_id: str | None, file: str, entry: str | None,
                 field: str | None) -> Provenance:
    """Validate one inline or catalog provenance mapping, with errors naming where it is."""
    if not isinstance(data, Mapping):
        raise ZooError(f"a provenance record must be a mapping, got {shown(data)}",
                       file=file, entry=entry, field=field, fix="give kind, ref, url, verified, notes",
                       gate="invalid-record")
    payload = dict(data)
    if record_id is not None:
        if "id" in payload and payload["id"] != record_id:
            raise ZooError(f"record key {shown(record_id)} and its id {shown(payload['id'])} differ",
                           file=file, entry=entry, fix="drop the id field; the key is the id",
                           gate="invalid-record")
        payload["id"] = record_id
    try:
        return Provenance.model_validate(payload)
    except ValidationError as exc:
        loc, message = format_validation_error(exc)[0]
        where = f"{field}.{loc}" if field and loc else (field or loc or None)
        raise ZooError(f"invalid provenance record: {message}", file=file, entry=entry,
                       field=where, fix="see the kind rules in DESIGN.md §4",
                       gate="invalid-record") from None


class SourceCatalog:
    """Source records by id. Bad records are kept aside as errors so an audit can list them all."""

    def __init__(self, records: dict[str, Provenance], errors: dict[str, ZooError], file: str):
        self.records = records
        self.errors = errors
        self.file = file

    @classmethod
    def load(cls, data_root: Path) -> "SourceCatalog":
        """Read ``sources.yaml`` and every ``sources/*.yaml`` (one file per topic).

        An id defined in two files is an error naming both.
        """
        path = data_root / CATALOG_FILE
        files = ([path] if path.exists() else []) + sorted((data_root / CATALOG_DIR).glob("*.yaml"))
        records: dict[str, Provenance] = {}
        errors: dict[str, ZooError] = {}
        defined_in: dict[str, str] = {}
        for file in files:
            raw = read_yaml(file, root=data_root) or {}
            if not isinstance(raw, Mapping):
                raise ZooError("the source catalog must map ids to records", file=str(file),
                               fix="write one 'id: {kind: ..., ref: ...}' mapping per record",
                               gate="invalid-record")
            for record_id, data in raw.items():
                given = record_id
                record_id = str(record_id)
                if not SOURCE_ID.fullmatch(record_id):
                    # Ids become file names on the site: one that is not an id never reaches it.
                    errors[record_id] = ZooError(
                        f"source id {shown(given)} does not match the id pattern "
                        f"{SOURCE_ID.pattern}", file=str(file), fix=SOURCE_ID_FIX,
                        gate="invalid-record")
                    continue
                if record_id in defined_in:
                    errors[record_id] = ZooError(
                        f"source id {record_id!r} is defined twice", file=str(file),
                        entry=record_id, fix=f"keep one definition (the other is in "
                                             f"{defined_in[record_id]})", gate="invalid-record")
                    continue
                defined_in[record_id] = str(file)
                try:
                    records[record_id] = build_record(
                        data, record_id=record_id, file=str(file), entry=record_id, field=None
                    )
                except ZooError as exc:
                    errors[record_id] = exc
        return cls(records, errors, str(path))

    def __contains__(self, record_id: str) -> bool:
        return record_id in self.records

    def __iter__(self):
        return iter(sorted(self.records))

    def __len__(self) -> int:
        return len(self.records)

    def get(self, record_id: str) -> Provenance:
        return self.records[record_id]

    def resolve(self, reference: Any, *, file: str, entry: str, field: str | None) -> Provenance:
        """A YAML provenance reference: a catalog id (string) or an inline record (mapping)."""
        if isinstance(reference, str):
            if reference in self.records:
                return self.records[reference]
            if reference in self.errors:
                raise ZooError(f"source {shown(reference)} is an invalid catalog record "
                               f"({self.errors[reference].problem})",
                               file=file, entry=entry, field=field,
                               fix=f"fix the record {shown(reference)} in "
                                   f"{self.errors[reference].file or CATALOG_FILE}",
                               gate="invalid-record")
            import difflib

            close = (difflib.get_close_matches(reference, list(self.records), n=3)
                     if len(reference) <= 200 else [])
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ZooError(f"unknown source id {shown(reference)}{hint}", file=file, entry=entry,
                           field=field, fix=f"add the record to {CATALOG_FILE} or fix the id",
                           gate="dangling-reference")
        return build_record(reference, record_id=None, file=file, entry=entry, field=field)
