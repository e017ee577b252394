"""Load registry groups from YAML into validated, frozen entries.

A group is stored either as a folder with one YAML file per entry (the file
name is the entry key: ``Hardware/Cloud/H100.yaml``) or as one YAML file
mapping keys to entries (``Literature/Training.yaml``). In an entry, the key
``provenance`` gives the default source (a catalog id or an inline record) and
``field_provenance`` maps dotted field paths to overrides.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from ..errors import ENTRY_NAME, ZooError, shown
from .catalog import SourceCatalog, format_validation_error
from .entry import EntryMetadata, field_paths, schema_accepts
from .yaml_io import read_yaml

RESERVED_KEYS = ("provenance", "field_provenance")
#: A group's schema: a pydantic model class inside the mlsysim package ("mlsysim.hardware:HardwareNode").
#: Nothing outside the package is ever imported on the manifest's say-so.
SCHEMA_NAME = re.compile(r"mlsysim(?:\.[a-z_][a-z0-9_]*)+:[A-Za-z_][A-Za-z0-9_]*")
ENTRY_NAME_FIX = ("use ASCII letters, digits and underscores, starting with a letter or underscore, "
                  "at most 100 characters (e.g. H100_PCIe)")


def check_name(name: Any, *, what: str, file: str) -> str:
    """``name`` as a string if it fullmatches ENTRY_NAME; else an invalid-record ZooError."""
    text = name if isinstance(name, str) else str(name)
    if not ENTRY_NAME.fullmatch(text):
        raise ZooError(f"{what} {shown(name)} does not match the name pattern "
                       f"{ENTRY_NAME.pattern}", file=file, fix=ENTRY_NAME_FIX,
                       gate="invalid-record")
    return text


@dataclass(frozen=True)
class GroupSpec:
    """A group as the manifest declares it."""

    namespace: str
    name: str
    schema: str
    description: str = ""
    kind: str = "entries"  # "entries" (objects) or "scalars" (Sourced numbers)
    site_layout: str = "pages"  # on the site: a page per entry, or one "table" with a row each
    key_fields: tuple[str, ...] = ()  # columns of the group's index table on the site
    flat: bool = False  # entries also reachable as Namespace.<Entry> (Scenarios.SmartDoorbell)
    # Entries named after entries of another namespace (Infrastructure.PurchasePrices.H100 is
    # the price of Hardware.*.H100): not short-name targets, and every key must exist there.
    keyed_by: str | None = None

    @property
    def path(self) -> str:
        return f"{self.namespace}.{self.name}"

    def schema_class(self) -> type[BaseModel]:
        if not isinstance(self.schema, str) or not SCHEMA_NAME.fullmatch(self.schema):
            raise ZooError(f"group {self.path}: schema {shown(self.schema)} is not a model of "
                           "mlsysim", fix="name a model as 'mlsysim.<module>:<Class>', e.g. "
                           "'mlsysim.hardware:HardwareNode'")
        module_name, _, class_name = self.schema.partition(":")
        try:
            schema = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            schema = None
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise ZooError(f"group {self.path}: schema {shown(self.schema)} names no pydantic "
                           "model of mlsysim", fix="name a model as 'mlsysim.<module>:<Class>', "
                           "e.g. 'mlsysim.hardware:HardwareNode'")
        return schema

    def storage(self, data_root: Path) -> tuple[str, Path | None]:
        """("folder", path), ("file", path) or ("empty", None)."""
        folder = data_root / self.namespace / self.name
        single = data_root / self.namespace / f"{self.name}.yaml"
        if folder.is_dir() and single.exists():
            raise ZooError(f"group {self.path} is stored twice: {folder} and {single}",
                           file=str(single), fix="keep one of the two")
        if folder.is_dir():
            return "folder", folder
        if single.exists():
            return "file", single
        return "empty", None


def entry_names(spec: GroupSpec, data_root: Path) -> list[str]:
    """The keys of a group's entries without validating them (file names of a folder group,
    top-level keys of a group file), sorted: what short-name lookup needs, at a fraction of
    the cost of loading every entry. Names that are not identifiers are left to the load,
    which reports them."""
    mode, location = spec.storage(data_root)
    if mode == "empty":
        return []
    if mode == "folder":
        return sorted(file.stem for file in location.glob("*.yaml")
                      if ENTRY_NAME.fullmatch(file.stem))
    data = read_yaml(location, root=data_root) or {}
    if not isinstance(data, Mapping):
        return []
    return sorted(key for key in data if isinstance(key, str) and ENTRY_NAME.fullmatch(key))


def entry_aliases(spec: GroupSpec, data_root: Path) -> dict[str, tuple[str, str]]:
    """Alias name -> (entry key, field) of a scalar group's ranges, read without validating
    the entries (for short-name lookup, like :func:`entry_names`). Malformed aliases are left
    to the load, which reports them."""
    mode, location = spec.storage(data_root)
    if mode != "file":
        return {}
    data = read_yaml(location, root=data_root) or {}
    found: dict[str, tuple[str, str]] = {}
    for key, raw in (data.items() if isinstance(data, Mapping) else ()):
        aliases = raw.get("aliases") if isinstance(raw, Mapping) else None
        for end, alias in (aliases.items() if isinstance(aliases, Mapping) else ()):
            if end in ("low", "high") and isinstance(alias, str) and ENTRY_NAME.fullmatch(alias):
                found[alias] = (str(key), f"range.{end}")
    return found


def raw_entries(spec: GroupSpec, data_root: Path,
                errors: list[ZooError] | None = None) -> list[tuple[str, Any, str]]:
    """(key, raw mapping, file) for every entry of a group, sorted by key.

    With ``errors`` given, a file that cannot be read or an entry with a bad name is
    collected there (naming the entry when its name is valid) and the rest still load.
    """
    mode, location = spec.storage(data_root)
    if mode == "empty":
        return []

    def fail(exc: ZooError) -> None:
        if errors is None:
            raise exc
        errors.append(exc)

    found: list[tuple[str, Any, str]] = []
    if mode == "folder":
        for file in sorted(location.glob("*.yaml")):
            try:
                key = check_name(file.stem, what="entry name (the file name)", file=str(file))
            except ZooError as exc:
                fail(exc)
                continue
            try:
                found.append((key, read_yaml(file, root=data_root), str(file)))
            except ZooError as exc:
                fail(ZooError(exc.problem, file=exc.file or str(file),
                              entry=f"{spec.path}.{key}", fix=exc.fix, gate=exc.gate))
    else:
        data = read_yaml(location, root=data_root) or {}
        if not isinstance(data, Mapping):
            raise ZooError("a group file must map entry names to entries", file=str(location),
                           fix="write one 'Name: {fields...}' mapping per entry")
        for key, value in data.items():
            try:
                found.append((check_name(key, what="entry name", file=str(location)), value,
                              str(location)))
            except ZooError as exc:
                fail(exc)
    return sorted(found, key=lambda item: item[0])


def check_finite(raw: Any, *, file: str, entry: str) -> None:
    """Refuse NaN, infinity and magnitudes over ``units.MAX_MAGNITUDE`` anywhere in an entry.

    A number such as ``value: .nan`` would otherwise pass every gate and show as Verified.
    Strings that read as a non-finite float ("nan", "inf", "1e999") are refused too, since
    pydantic would turn them into one.
    """
    from ..units import MAX_MAGNITUDE, UnitParseError, check_magnitude

    stack: list[tuple[str, Any]] = [("", raw)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{where}.{key}" if where else str(key), item)
                          for key, item in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, (int, float)) or (
                isinstance(value, str) and _reads_as_non_finite(value)):
            number = float(value) if isinstance(value, str) else value
            try:
                check_magnitude(number, value if isinstance(value, str) else None)
            except UnitParseError as exc:
                problem, _, fix = str(exc).partition("; ")
                raise ZooError(problem, file=file, entry=entry, field=where or None,
                               fix=fix or f"give a finite number of magnitude at most "
                                          f"{MAX_MAGNITUDE:g}") from None


def _reads_as_non_finite(text: str) -> bool:
    if len(text) > 400:
        return False
    try:
        return not math.isfinite(float(text))
    except (ValueError, OverflowError):
        return False


def build_entry(spec: GroupSpec, key: str, raw: Any, file: str, catalog: SourceCatalog) -> BaseModel:
    """Validate one entry and attach its metadata. Raises ZooError naming file, entry, field."""
    path = f"{spec.path}.{key}"
    if not isinstance(raw, Mapping):
        raise ZooError(f"an entry must be a mapping of fields, got {shown(raw)}", file=file,
                       entry=path, fix="write the entry as 'field: value' lines")
    check_finite(raw, file=file, entry=path)
    data = dict(raw)
    if "metadata" in data:
        raise ZooError("'metadata' is filled by the loader", file=file, entry=path, field="metadata",
                       fix="use 'provenance' and 'field_provenance' instead")
    default_ref = data.pop("provenance", None)
    overrides_raw = data.pop("field_provenance", None) or {}
    if not isinstance(overrides_raw, Mapping):
        raise ZooError("field_provenance must map field paths to sources", file=file, entry=path,
                       field="field_provenance")
    schema = spec.schema_class()
    default = (catalog.resolve(default_ref, file=file, entry=path, field="provenance")
               if default_ref is not None else None)
    overrides = {}
    for field, reference in overrides_raw.items():
        field = str(field)
        if not schema_accepts(schema, field):
            known = field_paths(schema)
            raise ZooError(f"field_provenance names unknown field {shown(field)}", file=file, entry=path,
                           field=f"field_provenance.{field}",
                           fix=f"use a field of {schema.__name__}: {', '.join(sorted(known))}")
        overrides[field] = catalog.resolve(reference, file=file, entry=path,
                                           field=f"field_provenance.{field}")
    metadata = EntryMetadata(path=path, provenance=default, field_provenance=overrides,
                             source_file=file)
    try:
        entry = schema.model_validate({**data, "metadata": metadata})
    except ValidationError as exc:
        loc, message = format_validation_error(exc)[0]
        raise ZooError(message, file=file, entry=path, field=loc or None,
                       fix=_fix_hint(message, schema)) from None
    return entry


def _fix_hint(message: str, schema: type[BaseModel]) -> str:
    if message == "unknown field":
        return f"remove it or use a field of {schema.__name__}"
    if "MAX_MAGNITUDE" in message or "MAX_QUANTITY_CHARS" in message:
        return "write a finite number and a unit, e.g. '80 GB' or '989 TFLOP/s'"
    if message.startswith(("range", "give exactly one of value")) or "cannot qualify a range" in message:
        return ("write range: {low: x, high: y} (two numbers, low <= high, in the entry's one "
                "unit:) or value: x, not both")
    if "dimension" in message:
        return "give the value in a unit of the expected dimension"
    if "quantity" in message or "unit" in message:
        return "write a number and a unit, e.g. '80 GB' or '989 TFLOP/s'"
    return "see the schema of " + schema.__name__


def load_group(spec: GroupSpec, data_root: Path, catalog: SourceCatalog,
               errors: list[ZooError] | None = None) -> dict[str, BaseModel]:
    """Every entry of a group by key. With ``errors`` given, bad entries are collected, not raised."""
    entries: dict[str, BaseModel] = {}
    try:
        items = raw_entries(spec, data_root, errors)
    except ZooError as exc:
        if errors is None:
            raise
        errors.append(exc)
        return entries
    for key, raw, file in items:
        try:
            entries[key] = build_entry(spec, key, raw, file, catalog)
        except ZooError as exc:
            if errors is None:
                raise
            errors.append(exc)
    for exc in _alias_clashes(spec, entries):
        if errors is None:
            raise exc
        errors.append(exc)
    return entries


def _alias_clashes(spec: GroupSpec, entries: dict[str, BaseModel]) -> list[ZooError]:
    """An alias of a range end that is also an entry key, or the alias of two ends: either
    would make one path name two numbers."""
    problems, seen = [], {}
    for key, record in entries.items():
        for alias in getattr(record, "alias_targets", dict)():
            owner = f"{spec.path}.{key}"
            if alias in entries:
                problems.append(ZooError(
                    f"alias {alias!r} is also an entry of {spec.path}, so "
                    f"{spec.path}.{alias} would name two numbers", file=record.metadata.source_file,
                    entry=owner, field="aliases",
                    fix=f"remove the entry {alias} (its number is now an end of {owner}) or "
                        "rename the alias", gate="invalid-entry"))
            elif alias in seen:
                problems.append(ZooError(
                    f"alias {alias!r} is also an alias of {seen[alias]}", entry=owner,
                    file=record.metadata.source_file, field="aliases",
                    fix="give each range end its own alias name", gate="invalid-entry"))
            seen.setdefault(alias, owner)
    return problems
