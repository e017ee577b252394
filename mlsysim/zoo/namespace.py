"""Nested, lazily loaded namespaces: ``Hardware`` -> ``Hardware.Cloud`` -> ``Hardware.Cloud.H100``."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import UnknownNameError
from .entry import get_field

if TYPE_CHECKING:
    from .loader import GroupSpec
    from .registry import Zoo


class ZooAttributeError(UnknownNameError, AttributeError):
    """An unknown name under a namespace (an AttributeError, so hasattr() still works)."""


def _unknown(container: str, kind: str, name: str, known: list[str]) -> ZooAttributeError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    close += [k for k in known if k.lower() == name.lower() and k not in close]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    listing = f" Known: {', '.join(known)}." if known and len(known) <= 20 else ""
    return ZooAttributeError(f"{container} has no {kind} {name!r}{hint}{listing}",
                             name=name, suggestions=tuple(close))


class _Listing:
    """What every namespace can do: iterate, sort by a field, report canonical paths."""

    path: str

    def _entries(self) -> list[Any]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        return iter(self._entries())

    def __len__(self) -> int:
        return len(self._entries())

    def paths(self) -> list[str]:
        """Canonical path of every entry, in order."""
        return [_path_of(entry) for entry in self._entries()]

    def items(self) -> list[tuple[str, Any]]:
        """(canonical path, entry) pairs."""
        return [(_path_of(entry), entry) for entry in self._entries()]

    def sorted_by(self, field: str, *, reverse: bool = False) -> list[Any]:
        """Entries sorted by a dotted field (``memory.bandwidth``); entries lacking it come last.

        UnknownNameError (with close matches) when no entry's schema has the field; InputError
        when its values cannot be ordered (a nested record, or numbers in different units).
        """
        from ..errors import InputError, shown

        entries = self._entries()
        self._check_sort_field(field, entries)
        present, missing = [], []
        for entry in entries:
            try:
                value = entry if _is_scalar(entry) and field == "value" else get_field(entry, field)
            except (KeyError, AttributeError):
                value = None
            (missing if value is None else present).append((value, entry))
        try:
            present.sort(key=lambda pair: pair[0], reverse=reverse)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{self.path}.sorted_by({shown(field)}): its values cannot be "
                             f"ordered ({type(exc).__name__}: {exc}); sort by a number or text "
                             "field such as 'memory.bandwidth' or 'name'",
                             name="field", value=field) from None
        return [entry for _, entry in present] + [entry for _, entry in missing]

    def _check_sort_field(self, field: Any, entries: list[Any]) -> None:
        from .entry import field_paths, schema_accepts, unknown_field

        models = {type(entry) for entry in entries if not _is_scalar(entry)}
        if isinstance(field, str) and field and (
                (field == "value" and any(_is_scalar(entry) for entry in entries))
                or any(schema_accepts(model, field) for model in models)):
            return
        known = sorted({path for model in models for path in field_paths(model)}
                       | ({"value"} if any(_is_scalar(entry) for entry in entries) else set()))
        raise unknown_field(f"{self.path} entries", field, known, verb="have")


def _is_scalar(entry: Any) -> bool:
    return not hasattr(entry, "metadata")


def _path_of(entry: Any) -> str:
    return entry.path


class GroupNamespace(_Listing):
    """One group of entries (``Hardware.Cloud``); loads its files on first use."""

    def __init__(self, zoo: "Zoo", spec: "GroupSpec"):
        self._zoo = zoo
        self._spec = spec
        self._loaded: dict[str, Any] | None = None
        self._raw_aliases: dict[str, tuple[str, str]] | None = None
        self.path = spec.path

    @property
    def spec(self) -> "GroupSpec":
        return self._spec

    def _load(self) -> dict[str, Any]:
        if self._loaded is None:
            from .loader import load_group

            self._loaded = load_group(self._spec, self._zoo.data_root, self._zoo.catalog)
        return self._loaded

    def records(self) -> dict[str, Any]:
        """The validated entry models by key (scalar groups give ScalarEntry models)."""
        return dict(self._load())

    def keys(self) -> list[str]:
        return list(self._load())

    def names(self) -> list[str]:
        """The entry keys, read without validating the entries (unless they are loaded
        already): short-name lookup needs every group's names but only one entry."""
        if self._loaded is not None:
            return list(self._loaded)
        from .loader import entry_names

        return entry_names(self._spec, self._zoo.data_root)

    def _expose(self, record: Any) -> Any:
        return record.as_sourced() if self._spec.kind == "scalars" else record

    def aliases(self) -> dict[str, tuple[str, str]]:
        """Alias name -> (entry key, field): older names of a range's ends
        (``H100PurchaseLow2023`` -> (``H100Purchase2023``, ``range.low``)). They resolve to
        the range's end, but are not entries: iteration, ``records()`` and the gates skip them."""
        return {alias: (key, field) for key, record in self._load().items()
                for alias, field in getattr(record, "alias_targets", dict)().items()}

    def alias_names(self) -> dict[str, tuple[str, str]]:
        """:meth:`aliases` without validating the entries (read once, as the loaded entries
        are): what short-name lookup needs."""
        if self._loaded is not None:
            return self.aliases()
        if self._raw_aliases is None:
            from .loader import entry_aliases

            self._raw_aliases = entry_aliases(self._spec, self._zoo.data_root)
        return self._raw_aliases

    def _alias(self, name: str) -> Any:
        """The range end an alias names, or None."""
        target = self.aliases().get(name)
        if target is None:
            return None
        key, field = target
        return getattr(self._expose(self._load()[key]), field.rpartition(".")[2])

    def _entries(self) -> list[Any]:
        return [self._expose(record) for record in self._load().values()]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        records = self._load()
        if name not in records:
            end = self._alias(name)
            if end is not None:
                return end
            raise _unknown(self.path, "entry", name, list(records))
        return self._expose(records[name])

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __contains__(self, name: object) -> bool:
        return name in self._load() or name in self.aliases()

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._load()) | set(self.aliases()))

    def __repr__(self) -> str:
        return f"<{self.path}: {len(self._load())} entries>"


class Namespace(_Listing):
    """A top-level namespace (``Hardware``) holding groups."""

    def __init__(self, zoo: "Zoo", name: str, groups: dict[str, "GroupSpec"], description: str = ""):
        self._zoo = zoo
        self.path = name
        self.description = description
        self._groups = {key: GroupNamespace(zoo, spec) for key, spec in groups.items()}

    @property
    def groups(self) -> dict[str, GroupNamespace]:
        return dict(self._groups)

    def _entries(self) -> list[Any]:
        return [entry for group in self._groups.values() for entry in group]

    def flat_entry(self, name: str) -> Any | None:
        """The entry ``name`` of a group declared ``flat`` (Scenarios.SmartDoorbell), or None."""
        for group in self._groups.values():
            if group.spec.flat and name in group:
                return group[name]
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._groups:
            entry = self.flat_entry(name)
            if entry is not None:
                return entry
            flat_keys = [key for group in self._groups.values() if group.spec.flat
                         for key in group.keys()]
            raise _unknown(self.path, "group", name, list(self._groups) + flat_keys)
        return self._groups[name]

    def __getitem__(self, name: str) -> GroupNamespace:
        return self.__getattr__(name)

    def __contains__(self, name: object) -> bool:
        return name in self._groups

    def __dir__(self) -> list[str]:
        flat_keys = {key for group in self._groups.values() if group.spec.flat
                     for key in group.keys()}
        return sorted(set(super().__dir__()) | set(self._groups) | flat_keys)

    def __repr__(self) -> str:
        return f"<{self.path}: groups {', '.join(self._groups) or '(none yet)'}>"
