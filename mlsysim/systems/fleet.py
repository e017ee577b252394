"""A fleet: what distributed solvers run on. Built from a cluster entry or by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError


@dataclass(frozen=True)
class Fleet:
    """``count`` nodes of one kind joined by ``fabric``.

    ``node`` is a ``Systems.Nodes`` entry (or its name); ``fabric`` a
    ``Systems.Fabrics`` entry, its name, or None to use the node's own
    scale-out fabric.
    """

    node: Any
    count: int = 1
    fabric: Any = None
    oversubscription: float = 1.0

    def __post_init__(self):
        from ..engine.checks import resolve_entry

        node = resolve_entry(self.node, "Systems", "node")
        object.__setattr__(self, "node", node)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InputError(f"Fleet count must be a whole number of nodes >= 1, got "
                             f"{self.count!r}", name="count", value=self.count)
        if not self.oversubscription >= 1:
            raise InputError(f"oversubscription must be >= 1 (1 = non-blocking), got "
                             f"{self.oversubscription!r}", name="oversubscription",
                             value=self.oversubscription)
        fabric = self.fabric if self.fabric is not None else getattr(node, "scale_out_fabric", None)
        if fabric is not None:
            fabric = resolve_entry(fabric, "Systems", "fabric")
        object.__setattr__(self, "fabric", fabric)

    @classmethod
    def from_cluster(cls, cluster: Any) -> "Fleet":
        """The fleet a ``Systems.Clusters`` entry describes."""
        from ..engine.checks import resolve_entry

        cluster = resolve_entry(cluster, "Systems", "cluster")
        return cls(node=cluster.node, count=cluster.node_count, fabric=cluster.fabric,
                   oversubscription=cluster.oversubscription)

    # -- derived views -----------------------------------------------------
    @property
    def accelerator(self) -> Any:
        from ..engine.checks import resolve_entry

        return resolve_entry(self.node.accelerator, "Hardware", "accelerator")

    @property
    def accelerators_per_node(self) -> int:
        return self.node.accelerators_per_node

    @property
    def total_accelerators(self) -> int:
        return self.count * self.node.accelerators_per_node

    @property
    def scale_up_fabric(self) -> Any:
        from ..engine.checks import resolve_entry

        ref = self.node.scale_up_fabric
        return resolve_entry(ref, "Systems", "fabric") if ref else None

    def inter_node_bandwidth_per_accelerator(self) -> float:
        """Bytes/s per direction each accelerator gets across nodes (NIC share / oversubscription)."""
        if self.fabric is None:
            return math.nan
        ports = self.node.scale_out_ports or self.node.accelerators_per_node
        per_port = float(self.fabric.per_direction.m_as("B/s"))
        return per_port * ports / self.node.accelerators_per_node / self.oversubscription

    def inter_node_latency(self) -> float:
        return float(self.fabric.latency.m_as("s")) if self.fabric is not None and \
            self.fabric.latency is not None else 0.0

    def intra_node_bandwidth_per_accelerator(self) -> float:
        fabric = self.scale_up_fabric
        if fabric is not None:
            return float(fabric.per_direction.m_as("B/s"))
        link = self.accelerator.interconnect.scale_up
        return float(link.per_direction.m_as("B/s")) if link is not None else math.nan

    def intra_node_latency(self) -> float:
        fabric = self.scale_up_fabric
        return float(fabric.latency.m_as("s")) if fabric is not None and fabric.latency else 0.0


@dataclass(frozen=True)
class DeviceGroup:
    """``count`` stand-alone devices (phones, edge modules, single GPUs) with no node around them.

    The macro solvers take one wherever they take a fleet: scenarios that run on bare
    hardware (``Scenarios.SmartDoorbell``) are evaluated as a device group.
    """

    hardware: Any
    count: int = 1

    def __post_init__(self):
        from ..engine.checks import resolve_entry

        object.__setattr__(self, "hardware", resolve_entry(self.hardware, "Hardware", "hardware"))
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InputError(f"device count must be a whole number >= 1, got {self.count!r}",
                             name="count", value=self.count)

    @property
    def accelerator(self) -> Any:
        return self.hardware

    accelerators_per_node = 1

    @property
    def total_accelerators(self) -> int:
        return self.count


def as_fleet(value: Any, devices: int = 1) -> "Fleet | DeviceGroup":
    """What the macro solvers run on, from whatever the caller has.

    A ``Fleet`` or ``DeviceGroup`` passes through; a ``Systems.Clusters`` entry becomes its
    fleet; a ``Systems.Nodes`` entry one node (times ``devices``); a ``Hardware`` entry
    ``devices`` stand-alone devices. Names resolve across those namespaces.
    """
    from ..engine.checks import resolve_entry
    from .cluster import ClusterSpec
    from .node import SystemNode

    from ..errors import UnknownNameError

    if isinstance(value, (Fleet, DeviceGroup)):
        return value
    try:
        entry = resolve_entry(value, "Systems", "fleet")
    except UnknownNameError:
        entry = resolve_entry(value, "Hardware", "fleet")
    if isinstance(entry, ClusterSpec):
        return Fleet.from_cluster(entry)
    if isinstance(entry, SystemNode):
        return Fleet(node=entry, count=devices)
    if hasattr(entry, "compute") and hasattr(entry, "power"):
        return DeviceGroup(hardware=entry, count=devices)
    raise InputError(f"fleet must be a cluster, a node, a hardware entry, a Fleet or a "
                     f"DeviceGroup; got {getattr(entry, 'path', None) or type(entry).__name__}",
                     name="fleet", value=value)


def it_power(fleet: "Fleet | DeviceGroup") -> tuple[float, str]:
    """(watts, how it was counted): the fleet's maximum IT power.

    A node's listed system power (CPUs, NICs, fans included) when the node lists one, else
    the accelerators' TDP alone, which undercounts and says so.
    """
    from ..formatting import si

    if isinstance(fleet, Fleet) and fleet.node.power is not None:
        watts = float(fleet.node.power.m_as("W")) * fleet.count
        return watts, (f"{fleet.count} x {fleet.node.path}.power "
                       f"({fleet.node.power.to('kW'):~.3g}) = {si(watts, 'W')}")
    chip = fleet.accelerator
    tdp = chip.power.tdp if chip.power is not None else None
    if tdp is None:
        raise InputError(f"{chip.path} lists no power.tdp, so its energy cannot be modelled; "
                         "add the TDP to its Zoo entry with a source", name="fleet",
                         value=chip.path)
    watts = float(tdp.m_as("W")) * fleet.total_accelerators
    basis = f"{fleet.total_accelerators} x {chip.path}.power.tdp ({tdp:~.4g}) = {si(watts, 'W')}"
    if isinstance(fleet, Fleet):
        basis += f" (accelerators only: {fleet.node.path} lists no system power)"
    return watts, basis


def idle_power(fleet: "Fleet | DeviceGroup") -> tuple[float, str] | None:
    """(watts, how it was counted): the idle draw beside :func:`it_power`'s maximum, when the
    fleet is counted by accelerator TDP: the accelerators' measured idle power (``power.idle``)
    where the Zoo lists one, else their lowest power mode (``power.min``); None otherwise (a
    node's system power has no idle figure in the Zoo, nor has a chip without either)."""
    from ..engine.figures import chip_figures, idle_draw, idle_kind
    from ..formatting import si

    if isinstance(fleet, Fleet) and fleet.node.power is not None:
        return None
    each, path = idle_draw(chip_figures(fleet.accelerator))  # the engine's preference
    if each is None:
        return None
    count = fleet.total_accelerators
    watts = each * count
    return watts, f"{count} x {path} ({si(each, 'W')}, {idle_kind(path)}) = {si(watts, 'W')}"
