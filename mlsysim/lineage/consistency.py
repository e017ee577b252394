"""Gate "consistency": references resolve, and facts stated in two places agree.

No number is stored twice on purpose; where two entries still state the same
fact (a node's NVLink fabric and its GPU's NVLink link, a rack's accelerator
count and its nodes'), the two must agree within ``TOLERANCE``.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..physics import transformer

#: Relative difference tolerated between two statements of the same fact (rounding in sources).
TOLERANCE = 0.02


def check_consistency(zoo, loaded: dict[str, dict]) -> Iterator[tuple[str, str, str]]:
    """Yield (path, problem, fix) for each broken reference or disagreement."""
    from ..zoo.reference import reference_fields

    records = {record.path: record for group in loaded.values() for record in group.values()}
    for record in records.values():
        for name, target in reference_fields(type(record)).items():
            ref = getattr(record, name)
            if ref is None:
                continue
            if not ref.startswith(target + "."):
                yield (f"{record.path}.{name}", f"{ref!r} is not under {target}",
                       f"point {name} at an entry of {target}")
            elif ref not in records:
                yield (f"{record.path}.{name}", f"{ref!r} does not resolve to an entry",
                       "fix the path (see `mlsysim zoo` for the entries that exist)")
    yield from _keys_name_entries(zoo, records)
    yield from _node_fabric_matches_accelerator(records)
    yield from _rack_counts_agree(records)
    yield from _flops_match_parameters(records)
    yield from _derived_from_one_range_within_it(records)


def _keys_name_entries(zoo, records: dict[str, Any]):
    """Every key of a ``keyed_by`` group names an entry of that namespace."""
    for group in zoo.groups():
        target = group.spec.keyed_by
        if not target:
            continue
        names = {path.rpartition(".")[2] for path in records if path.startswith(target + ".")}
        for key in group.keys():
            if key not in names:
                yield (f"{group.path}.{key}", f"{key!r} names no {target} entry, so no solver "
                       "will ever read it", f"rename it to the {target} entry it describes "
                       f"(e.g. H100 for Hardware.Cloud.H100)")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def _node_fabric_matches_accelerator(records: dict[str, Any]):
    for record in records.values():
        if not record.path.startswith("Systems.Nodes.") or not record.scale_up_fabric:
            continue
        fabric, chip = records.get(record.scale_up_fabric), records.get(record.accelerator)
        if fabric is None or chip is None or chip.interconnect.scale_up is None:
            continue
        ours = fabric.per_direction.m_as("GB/s")
        theirs = chip.interconnect.scale_up.per_direction.m_as("GB/s")
        if not _close(ours, theirs):
            yield (f"{record.path}.scale_up_fabric",
                   f"{fabric.path} gives {ours:g} GB/s per direction but {chip.path} lists "
                   f"{theirs:g} GB/s per direction for its scale-up link",
                   "one of the two is wrong or counts both directions; fix it against the source")


def _rack_counts_agree(records: dict[str, Any]):
    for record in records.values():
        if not record.path.startswith("Systems.Racks.") or not record.node:
            continue
        node = records.get(record.node)
        if node is None or record.nodes_per_rack is None or record.accelerators_per_rack is None:
            continue
        expected = record.nodes_per_rack * node.accelerators_per_node
        if expected != record.accelerators_per_rack:
            yield (f"{record.path}.accelerators_per_rack",
                   f"{record.accelerators_per_rack} accelerators, but {record.nodes_per_rack} nodes "
                   f"x {node.accelerators_per_node} per node = {expected}",
                   "fix the rack or node count")


def _flops_match_parameters(records: dict[str, Any]):
    for record in records.values():
        if not record.path.startswith("Models.") or not hasattr(record, "flops_per_token"):
            continue
        used = record.active_parameters if record.active_parameters is not None else record.parameters
        active = "active " if record.active_parameters is not None else ""
        tied = getattr(record, "tied_embeddings", None)
        if tied is None or not getattr(record, "vocab_size", None):
            expected, rule = 2 * used.m_as("param"), f"2 x {active}parameters"
        else:  # the architecture is known: the one count the engine uses too
            expected = transformer.forward_flops_per_token(used.m_as("param"), record.vocab_size,
                                                           record.hidden_dim, tied)
            rule = (f"2 x {active}parameters (tied embeddings)" if tied else
                    f"2 x ({active}parameters - vocab_size x hidden_dim) (untied embeddings)")
        stated = record.flops_per_token.m_as("FLOP/token")
        if not _close(stated, expected):
            yield (f"{record.path}.flops_per_token",
                   f"{stated:.4g} FLOP/token, but {rule} = {expected:.4g}",
                   "FLOPs count 2 per multiply-accumulate of the weights a token passes through "
                   "(transformer.forward_flops_per_token): use that count")


def _derived_from_one_range_within_it(records: dict[str, Any]):
    """A number derived from the two ends of one range alone (a midpoint, a typical value) in
    the range's dimension lies within the range: outside it, one of the three is wrong."""
    import pint

    for record in records.values():
        for field, value in record.numbers():
            provenance = record.provenance_for(field or "value")
            inputs = set(getattr(provenance, "inputs", ()) or ())
            if len(inputs) != 2:
                continue
            heads = {source.rpartition(".range.")[0] for source in inputs}
            ends = {source.rpartition(".range.")[2] for source in inputs}
            source = records.get(heads.pop()) if len(heads) == 1 and ends == {"low", "high"} \
                else None
            if getattr(source, "range", None) is None:
                continue
            low, high = source.quantity("range.low"), source.quantity("range.high")
            try:
                inside = _within(value, low, high)
            except pint.DimensionalityError:
                continue  # a number of another kind (a ratio, a width per unit): not comparable
            if not inside:
                path = f"{record.path}.{field}" if field else record.path
                yield (path, f"{value:g} is derived from the range {source.path} "
                       f"({source.range.low:g} to {source.range.high:g}) alone but lies outside it",
                       "recompute it from the range's ends (its notes show how), or fix the range")


def _within(value: Any, low: Any, high: Any) -> bool:
    if hasattr(low, "units"):
        if not hasattr(value, "units"):
            import pint

            raise pint.DimensionalityError(low.units, "dimensionless")
        value = value.to(low.units).magnitude
        low, high = low.magnitude, high.magnitude
    elif hasattr(value, "units"):
        import pint

        raise pint.DimensionalityError("dimensionless", value.units)
    return low <= value <= high
