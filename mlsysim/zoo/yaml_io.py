"""Strict YAML reading for registry files: duplicate keys are an error, not a silent overwrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import ZooError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that rejects a mapping key given twice and keeps dates as strings."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise ZooError(
                f"duplicate key {key!r} (line {key_node.start_mark.line + 1}; "
                f"first given on an earlier line of the same mapping)",
                fix="keep one of the two values",
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _construct_timestamp_as_string(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    # Dates are validated (and reported) by the Provenance model, as ISO strings.
    return loader.construct_scalar(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def read_yaml(path: Path) -> Any:
    """Parse one registry file; errors name the file and line."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except ZooError as exc:
        raise ZooError(exc.problem, file=str(path), fix=exc.fix) from None
    except yaml.YAMLError as exc:
        raise ZooError(f"not valid YAML: {exc}", file=str(path),
                       fix="fix the syntax at the line shown") from None
