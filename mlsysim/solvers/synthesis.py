"""The synthesis wall: inverse design. Given a serving workload and its targets, the cheapest
accelerator from the Zoo, with the tensor-parallel size and replica count that meet them."""

from __future__ import annotations

import math
from typing import Any, Sequence

from pydantic import Field

from ..engine.checks import check_count, check_quantity, largest_node, resolve_entry
from ..engine.figures import chip_figures, workload_figures
from ..errors import InputError
from ..formatting import number, si
from . import zoo_defaults
from .base import ForwardModel, Quantity, SolverResult

#: Runner-up designs the result lists after the chosen one.
RUNNER_UPS = 3


class SynthesisResult(SolverResult):
    """The cheapest design meeting the targets, the runners-up and why the rest fail."""

    solver = "SynthesisModel"

    feasible: bool = Field(description="Whether some design meets every target.")
    hardware: str | None = Field(description="The chosen accelerator's Zoo path.")
    tp_size: int | None = Field(description="Tensor-parallel GPUs per replica.")
    replicas: int | None = Field(description="Model replicas: ceil(throughput target / "
                                             "throughput of one replica).")
    devices: int | None = Field(description="Accelerators in all: replicas x tp_size.")
    batch_size: int | None = Field(description="Concurrent requests per replica (the largest "
                                               "meeting the SLOs).")
    throughput: Quantity | None = Field(description="Output tokens per second of all replicas "
                                                    "(token/s).")
    ttft: Quantity | None = Field(description="Time to first token at that batch (s).")
    itl: Quantity | None = Field(description="Mean inter-token latency at that batch (s).")
    cost_per_hour: Quantity | None = Field(description="devices x the accelerator's rental "
                                                       "price (USD/hour).")
    runner_ups: tuple[dict[str, Any], ...] = Field(description="The next cheapest designs, one "
                                                               "per accelerator: hardware, "
                                                               "tp_size, replicas, devices, "
                                                               "cost_per_hour_USD.")
    rejected: dict[str, str] = Field(description="Each accelerator that cannot meet the "
                                                 "targets (by Zoo path), and why.")
    evaluated: int = Field(description="(accelerator, tp_size) designs considered.")

    def _display_rows(self) -> list[tuple[str, str]]:
        """The named results, with the runners-up and rejections as counts (``to_dict`` and
        the trace give them in full)."""
        from ..formatting import quantity

        rows = []
        for key, value in self.values.items():
            if value is None:
                continue
            if key in ("runner_ups", "rejected"):
                rows.append((key, f"{len(value)}"))
            else:
                rows.append((key, quantity(value)))
        return rows


class SynthesisModel(ForwardModel):
    """Cheapest serving design meeting throughput, latency and memory targets (inverse design)."""

    name = "SynthesisModel"

    def solve(self, model: Any, input_tokens: int = 1024, output_tokens: int = 256,
              throughput: Any = None, slo_ttft: Any = None, slo_itl: Any = None,
              hardware: Sequence[Any] | None = None, precision: str = "fp16",
              budget: Any = None, *, efficiency: float | None = None) -> SynthesisResult:
        """The accelerator, tensor-parallel size t and replica count r of least rental cost::

            minimise   r t price(chip)                             (USD/hour)
            s.t.       TTFT(B) <= SLO, ITL(B) <= SLO, KV cache of B requests fits
                       r X(chip, t) >= throughput target,  r = ceil(target / X)
                       r t price <= budget

        X(chip, t) is ContinuousBatchingModel's throughput at the largest batch B meeting
        the SLOs on t GPUs; t runs over the divisors of the heads up to the Zoo's largest
        node of that chip. One vectorized Engine.sweep first rules out chips that lack the
        precision and sizes whose weights plus one request's KV cache cannot fit. Prices
        are ``Infrastructure.RentalPrices.<chip>``; a chip without one is rejected, never
        priced by guess.

        Args:
            model: A decoder language model (a Models entry or its name).
            input_tokens: Prompt tokens per request.
            output_tokens: Generated tokens per request (>= 2).
            throughput: Output tokens per second to serve (e.g. "10000 token/s"); None: one
                replica.
            slo_ttft: Time-to-first-token target (e.g. "500 ms"), or None.
            slo_itl: Inter-token latency target (e.g. "50 ms"), or None.
            hardware: Accelerators to choose from (default: every Hardware.Cloud entry).
            precision: Serving precision.
            budget: Largest cost per hour (e.g. "100 USD/hour"), or None.
            efficiency: Share of peak compute (None: the calibrated values).

        Returns:
            SynthesisResult: the chosen design, its cost, throughput and latencies, the
            runners-up and the reason each rejected accelerator fails.

        Raises:
            InputError: a bad target, an unknown model or accelerator, an empty list.
        """
        from ..engine.sweep import sweep
        from ..units import Quantity as Q
        from ..zoo.registry import default_zoo
        from .continuous_batching import ContinuousBatchingModel

        entry = resolve_entry(model, "Models", "model")
        w = workload_figures(entry)
        if w.kind != "decoder":
            raise InputError(f"SynthesisModel designs LLM serving; {w.name} is not a decoder "
                             "language model", name="model", value=w.path)
        inp, out = check_count(input_tokens, "input_tokens"), check_count(output_tokens,
                                                                           "output_tokens")
        target = check_quantity(throughput, "token/s", "throughput") \
            if throughput is not None else None
        limit = check_quantity(budget, "USD/hour", "budget") if budget is not None else None
        if hardware is None:
            zoo = default_zoo()
            hardware = [zoo.resolve(f"Hardware.Cloud.{key}")
                        for key in zoo.resolve("Hardware.Cloud").keys()]
        if isinstance(hardware, (str, bytes)) or hasattr(hardware, "metadata"):
            hardware = [hardware]
        chips = [resolve_entry(h, "Hardware", "hardware") for h in hardware]
        if not chips:
            raise InputError("hardware is empty; give at least one accelerator, e.g. "
                             "hardware=['H100', 'A100']", name="hardware", value=hardware)
        cells = sweep([entry], chips, [1], [precision], efficiency, seq_len=inp + out)
        footprint = cells.footprint_bytes[0, :, 0, 0]
        solver = ContinuousBatchingModel()
        rejected: dict[str, str] = {}
        designs: list[dict[str, Any]] = []
        evaluated = 0
        for j, chip in enumerate(chips):
            if not cells.supported[j, 0]:
                rejected[chip.path] = f"lists no {precision} peak"
                continue
            price = zoo_defaults.optional_number(
                zoo_defaults.per_hardware_path(zoo_defaults.RENTAL_PRICES, chip))
            if price is None:
                rejected[chip.path] = (f"no rental price in the Zoo "
                                       f"({zoo_defaults.RENTAL_PRICES}.{chip.path.rpartition('.')[2]})")
                continue
            hourly = float(price.m_as("USD/hour"))
            best, why = None, []
            for tp in _tensor_sizes(chip, w):
                evaluated += 1
                if footprint[j] / tp > chip_figures(chip).capacity:
                    why.append(f"tp {tp}: weights and one request's KV cache need "
                               f"{si(footprint[j] / tp, 'B')} per GPU")
                    continue
                result = solver.solve(entry, chip, inp, out, tp_size=tp, precision=precision,
                                      slo_ttft=slo_ttft, slo_itl=slo_itl, efficiency=efficiency)
                if result.batch_size is None:
                    why.append(f"tp {tp}: " + ("no room for one request's KV cache"
                                               if not result.feasible else
                                               "no batch meets the SLOs"))
                    continue
                rate = float(result.throughput.m_as("token/s"))
                replicas = max(1, math.ceil(target / rate)) if target else 1
                design = {"hardware": chip.path, "tp_size": tp, "replicas": replicas,
                          "devices": replicas * tp, "batch_size": result.batch_size,
                          "throughput_token_s": replicas * rate,
                          "ttft_s": float(result.ttft.m_as("s")),
                          "itl_s": float(result.itl.m_as("s")),
                          "cost_per_hour_USD": replicas * tp * hourly,
                          "price_path": getattr(price, "path", "")}
                if best is None or (design["cost_per_hour_USD"], design["devices"]) < \
                        (best["cost_per_hour_USD"], best["devices"]):
                    best = design
            if best is None:
                only = "" if len(_tensor_sizes(chip, w)) > 1 else \
                    " (tp 1 only: the Zoo has no multi-GPU node of it)"
                rejected[chip.path] = "; ".join(why) + only
            elif limit is not None and best["cost_per_hour_USD"] > limit:
                rejected[chip.path] = (f"over budget: {number(best['cost_per_hour_USD'])} "
                                       f"USD/hour > {number(limit)}")
            else:
                designs.append(best)
        designs.sort(key=lambda d: (d["cost_per_hour_USD"], d["devices"]))
        targets = ", ".join(part for part in (
            f"{number(target)} tokens/s" if target else "one replica",
            f"TTFT <= {si(check_quantity(slo_ttft, 's', 'slo_ttft'), 's')}" if slo_ttft else "",
            f"ITL <= {si(check_quantity(slo_itl, 's', 'slo_itl'), 's')}" if slo_itl else "",
            f"<= {number(limit)} USD/hour" if limit is not None else "") if part)
        trace = [f"Targets: {targets}; {inp} + {out} tokens per request, {precision}; "
                 f"{len(chips)} accelerators, {evaluated} (accelerator, tp) designs"]
        if not designs:
            trace.append("Synthesis wall: no accelerator meets the targets; relax the SLOs, "
                         "raise the budget or allow a lower precision")
            return SynthesisResult(
                feasible=False, hardware=None, tp_size=None, replicas=None, devices=None,
                batch_size=None, throughput=None, ttft=None, itl=None, cost_per_hour=None,
                runner_ups=(), rejected=rejected, evaluated=evaluated,
                constraint_trace=tuple(trace))
        chosen = designs[0]
        trace.append(f"Cheapest: {chosen['replicas']} replica(s) x tp {chosen['tp_size']} of "
                     f"{chosen['hardware']} at batch {chosen['batch_size']} -> "
                     f"{number(chosen['throughput_token_s'])} tokens/s, TTFT "
                     f"{si(chosen['ttft_s'], 's')}, ITL {si(chosen['itl_s'], 's')}; "
                     f"{chosen['devices']} x {chosen['price_path']} = "
                     f"{number(chosen['cost_per_hour_USD'])} USD/hour")
        for design in designs[1:1 + RUNNER_UPS]:
            trace.append(f"Runner-up: {design['devices']} x {design['hardware']} (tp "
                         f"{design['tp_size']}) = {number(design['cost_per_hour_USD'])} USD/hour")
        if rejected:
            trace.append(f"Rejected {len(rejected)} accelerators (see `rejected` for each reason)")
        return SynthesisResult(
            feasible=True, hardware=chosen["hardware"], tp_size=chosen["tp_size"],
            replicas=chosen["replicas"], devices=chosen["devices"],
            batch_size=chosen["batch_size"],
            throughput=Q(chosen["throughput_token_s"], "token/s"),
            ttft=Q(chosen["ttft_s"], "s"), itl=Q(chosen["itl_s"], "s"),
            cost_per_hour=Q(chosen["cost_per_hour_USD"], "USD/hour"),
            runner_ups=tuple(designs[1:1 + RUNNER_UPS]), rejected=rejected,
            evaluated=evaluated, constraint_trace=tuple(trace))


def _tensor_sizes(chip: Any, w: Any) -> list[int]:
    """Tensor-parallel sizes ServingModel accepts on ``chip``: divisors of the heads up to the
    Zoo's largest node of it (1 alone when the chip has no scale-up link or node)."""
    node = largest_node(chip.path)
    if node is None or math.isnan(chip_figures(chip).scale_up_bandwidth):
        return [1]
    return [t for t in range(1, node[0] + 1) if not w.heads or w.heads % t == 0]
