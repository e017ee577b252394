"""A field that points at another registry entry instead of copying its numbers.

"No number is stored twice": a DGX node names its accelerator
(``Hardware.Cloud.H100``) rather than restating the GPU's memory. The
consistency gate checks every reference resolves to an entry of the right group.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

#: A canonical registry path such as ``Hardware.Cloud.H100``.
RegistryPath = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+){2,}$")]


def reference_field(target_group: str, description: str, *, optional: bool = False):
    """A RegistryPath field whose target must live under ``target_group`` (e.g. ``Hardware``)."""
    extra = {"references": target_group}
    if optional:
        return Field(default=None, description=description, json_schema_extra=extra)
    return Field(description=description, json_schema_extra=extra)


def reference_fields(model_cls) -> dict[str, str]:
    """Field name -> target group prefix, for every reference field of a schema."""
    found = {}
    for name, info in model_cls.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and "references" in extra:
            found[name] = extra["references"]
    return found
