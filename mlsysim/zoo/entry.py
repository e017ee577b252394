"""The base of every registry entry, and the walk over the numbers it holds."""

from __future__ import annotations

from typing import Any, Iterator

import pint
from pydantic import BaseModel, ConfigDict, Field

from ..provenance import Provenance


class EntryMetadata(BaseModel):
    """Where an entry lives and how its numbers are known. Filled by the loader."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="Canonical registry path, e.g. Hardware.Cloud.H100.")
    provenance: Provenance | None = Field(
        default=None, description="Default provenance of every number in the entry."
    )
    field_provenance: dict[str, Provenance] = Field(
        default_factory=dict,
        description="Per-field overrides, keyed by dotted field path (a prefix covers its subfields).",
    )
    source_file: str | None = Field(default=None, description="The YAML file the entry came from.")

    def provenance_for(self, field_path: str) -> Provenance | None:
        """The provenance of one number: the most specific override, else the entry default."""
        probe = field_path
        while probe:
            if probe in self.field_provenance:
                return self.field_provenance[probe]
            probe = probe.rpartition(".")[0]
        return self.provenance


class ZooEntry(BaseModel):
    """A registry entry: frozen, no unknown fields, with loader-filled metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Display name.")
    description: str | None = Field(default=None, description="One or two sentences on what this is.")
    metadata: EntryMetadata | None = Field(default=None, exclude=True, repr=False)

    @property
    def path(self) -> str:
        """Canonical registry path (``Hardware.Cloud.H100``)."""
        return self.metadata.path if self.metadata else ""

    def provenance_for(self, field_path: str) -> Provenance | None:
        """The provenance of the number at ``field_path`` (``memory.bandwidth``): the most
        specific override, else the entry's default. UnknownNameError, with close matches,
        when the entry has no such field."""
        self._check_field(field_path)
        return self.metadata.provenance_for(field_path) if self.metadata else None

    def _check_field(self, field_path: Any) -> None:
        """Nothing when ``field_path`` is a field of this entry (present, or declared and
        unset); else UnknownNameError naming the entry, the field and close matches."""
        if isinstance(field_path, str) and field_path:
            try:
                get_field(self, field_path)
                return
            except KeyError:
                if field_path in field_paths(type(self)):
                    return
        raise unknown_field(self.path or type(self).__name__, field_path,
                            sorted(field_paths(type(self))),
                            [path for path, _ in self.numbers() if path])

    def _repr_markdown_(self) -> str:
        from ..display import entry_markdown

        return entry_markdown(self)

    def _repr_html_(self) -> str:
        from ..display import entry_html

        return entry_html(self)

    def get(self, field_path: str) -> Any:
        """The value at a dotted field path such as ``memory.bandwidth``."""
        return get_field(self, field_path)

    def numbers(self) -> Iterator[tuple[str, Any]]:
        """Every number in the entry as (dotted field path, value), in declaration order."""
        return iter_numbers(self)


def unknown_field(owner: str, field_path: Any, known: list[str], numbers: list[str] = (), *,
                  verb: str = "has"):
    """The UnknownNameError for a field ``owner`` lacks: close matches from ``known`` (every
    declared field path), then a few of its ``numbers`` (paths of the numbers it holds)."""
    import difflib

    from ..errors import UnknownNameError, shown

    if not isinstance(field_path, str):
        return UnknownNameError(f"{owner}: a field path is text such as 'memory.bandwidth', got "
                                f"{type(field_path).__name__} {shown(field_path)}",
                                name=str(type(field_path).__name__))
    close = difflib.get_close_matches(field_path, list(dict.fromkeys([*numbers, *known])),
                                      n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    listed = list(numbers) or list(known)
    if len(listed) <= 8:
        listing = f"{'its numbers' if numbers else 'its fields'}: {', '.join(listed)}"
    else:  # name the sections the numbers sit in (memory.*, power.*)
        heads = dict.fromkeys(path.split(".")[0] + (".*" if "." in path else "")
                              for path in listed)
        heads = [head for head in heads if f"{head}.*" not in heads]
        listing = (f"its {len(listed)} {'numbers' if numbers else 'fields'} are "
                   f"{', '.join(heads)}")
    return UnknownNameError(f"{owner} {verb} no field {shown(field_path)}{hint} ({listing})",
                            name=field_path[:100], suggestions=tuple(close))


def is_number(value: Any) -> bool:
    return isinstance(value, pint.Quantity) or (
        isinstance(value, (int, float)) and not isinstance(value, bool)
    )


def iter_numbers(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Walk models, dicts and lists; yield each int, float or Quantity with its dotted path."""
    if isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            if info.exclude:
                continue
            yield from iter_numbers(getattr(obj, name), f"{prefix}{name}.")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from iter_numbers(value, f"{prefix}{key}.")
    elif isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            yield from iter_numbers(value, f"{prefix}{index}.")
    elif is_number(obj):
        yield prefix[:-1], obj


def get_field(obj: Any, field_path: str) -> Any:
    """Follow a dotted path through models, dicts and lists; KeyError names the missing part."""
    current = obj
    for part in field_path.split("."):
        if isinstance(current, BaseModel) and part in type(current).model_fields:
            current = getattr(current, part)
        elif isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, (list, tuple)) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(part)
    return current


def field_paths(model_cls: type[BaseModel]) -> set[str]:
    """The dotted field paths a schema declares, down through nested models (not dict keys)."""
    paths: set[str] = set()

    def walk(cls: type[BaseModel], prefix: str) -> None:
        for name, info in cls.model_fields.items():
            if info.exclude:
                continue
            paths.add(prefix + name)
            for candidate in _model_types(info.annotation):
                walk(candidate, f"{prefix}{name}.")

    walk(model_cls, "")
    return paths


def schema_accepts(model_cls: type[BaseModel], field_path: str) -> bool:
    """True when ``field_path`` can exist in an entry of ``model_cls``.

    Under a dict-valued field any key is accepted (``compute.peak.fp16.dense``
    descends through the ``peak`` table into a PeakRate).
    """
    annotations: list[Any] = [model_cls]
    for part in field_path.split("."):
        following: list[Any] = []
        for annotation in annotations:
            for cls in _model_types(annotation):
                info = cls.model_fields.get(part)
                if info is not None and not info.exclude:
                    following.append(info.annotation)
            for value_type in _dict_value_types(annotation):
                following.append(value_type)
        if not following:
            return False
        annotations = following
    return True


def _model_types(annotation: Any) -> list[type[BaseModel]]:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) is dict:
        return []
    found = []
    for arg in typing.get_args(annotation):
        found.extend(_model_types(arg))
    return found


def _dict_value_types(annotation: Any) -> list[Any]:
    import typing

    if typing.get_origin(annotation) is dict:
        return [typing.get_args(annotation)[1]]
    found = []
    for arg in typing.get_args(annotation):
        if not (isinstance(arg, type) and issubclass(arg, BaseModel)):
            found.extend(_dict_value_types(arg))
    return found
