"""``mlsysim optimize parallelism|batching|placement|synthesis``: the optimizers on the
command line.

Exit codes (the contract of :mod:`.contract`): 0 a best configuration was found; 1 bad input
(unknown name, value out of range); 2 infeasible: nothing fits in memory (no layout, no room
for one request's KV cache, no accelerator that can run the job); 3 a target was not met (no
batch meets the SLO, no design meets the throughput, SLO or budget). With ``-o json`` stdout
holds exactly one JSON document, errors included.
"""

from __future__ import annotations

from typing import Optional

import typer

from .contract import EXIT_CONSTRAINT, EXIT_INFEASIBLE, Output, fail, finish, shown
from .solvers import _slo


def _names(text: Optional[str]) -> Optional[list[str]]:
    """``"H100,A100"`` as ``["H100", "A100"]``; None stays None."""
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def parallelism(
        model: str = typer.Argument(..., help="Transformer to train, e.g. Llama3_70B."),
        fleet: str = typer.Argument(..., help="A cluster or node (Research_1024_H100, "
                                              "DGX_H100), or an accelerator with --devices."),
        batch_size: int = typer.Option(..., "-b", "--batch-size",
                                       help="Global batch in sequences."),
        devices: Optional[int] = typer.Option(
            None, "--devices", help="With an accelerator as FLEET: how many, a multiple of "
            "its node size."),
        seq_len: Optional[int] = typer.Option(None, "--seq-len", help="Tokens per sequence."),
        precision: str = typer.Option("fp16", "-p", "--precision"),
        zero_stage: int = typer.Option(0, "--zero-stage", help="ZeRO stage 0-3 for every "
                                                               "layout."),
        recompute: bool = typer.Option(False, "--recompute",
                                       help="Activation recomputation in every layout."),
        max_microbatches: int = typer.Option(64, "--max-microbatches", min=1),
        max_cp: int = typer.Option(1, "--max-cp", min=1, help="Largest context-parallel size "
                                                              "tried (1: no context "
                                                              "parallelism)."),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """The fastest tp x pp x dp (x ep, x cp) layout and microbatch count of a training step.

    Exit 2 when no layout fits in memory.
    """
    from ..optimizers import ParallelismOptimizer
    from ..optimizers.parallelism import layout_text

    placement = dict(hardware=fleet, devices=devices) if devices is not None else \
        dict(fleet=fleet)
    result = ParallelismOptimizer().optimize(
        model, batch_size=batch_size, seq_len=seq_len, precision=precision,
        zero_stage=zero_stage, activation_recomputation=recompute,
        max_microbatches=max_microbatches, max_cp_size=max_cp, **placement)
    if result.feasible:
        headline = (f"Fastest layout of {result.devices} accelerators: "
                    f"{layout_text(result.parallelism)} -> step "
                    f"{result.step_time.to_compact():~.4g}; {result.feasible_count} of "
                    f"{result.evaluated} layouts fit")
    else:
        headline = f"No layout of {result.devices} accelerators fits"
    finish(result, output, headline, 0 if result.feasible else EXIT_INFEASIBLE,
            result.reason)


def batching(
        model: str = typer.Argument(..., help="Decoder language model, e.g. Llama3_8B."),
        hardware: str = typer.Argument(..., help="Accelerator, e.g. H100."),
        input_tokens: int = typer.Option(1024, "--input-tokens", help="Prompt tokens per "
                                                                      "request."),
        output_tokens: int = typer.Option(256, "--output-tokens", help="Generated tokens per "
                                                                       "request (>= 2)."),
        tp_size: int = typer.Option(1, "--tp", help="Tensor-parallel GPUs per replica."),
        precision: str = typer.Option("fp16", "-p", "--precision"),
        slo_ttft: Optional[str] = typer.Option(None, "--slo-ttft", help="TTFT SLO, e.g. 2s."),
        slo_itl: Optional[str] = typer.Option(None, "--slo-itl", help="ITL SLO, e.g. 50ms."),
        objective: str = typer.Option("throughput", "--objective",
                                      help="throughput (most tokens/s) or batch (largest)."),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """The continuous batch with the most throughput meeting the SLOs, and the
    throughput-latency front across batch sizes.

    Exit 2 when the weights leave no room for one request, 3 when no batch meets the SLOs.
    """
    from ..optimizers import BatchingOptimizer

    result = BatchingOptimizer().optimize(
        model, hardware, input_tokens, output_tokens, tp_size=tp_size, precision=precision,
        slo_ttft=_slo(slo_ttft, "--slo-ttft", "2s", output),
        slo_itl=_slo(slo_itl, "--slo-itl", "50ms", output), objective=objective)
    if result.batch_size is not None:
        headline = (f"Best batch ({objective}): {result.batch_size} -> "
                    f"{result.throughput.m_as('token/s'):,.0f} tokens/s; largest batch meeting "
                    f"the SLOs {result.largest_batch} ({result.binding} binds)")
        code = 0
    elif not result.feasible:
        headline = f"{model} leaves no room for one request on {tp_size} x {hardware}"
        code = EXIT_INFEASIBLE
    else:
        headline = "No batch meets the SLOs"
        code = EXIT_CONSTRAINT
    finish(result, output, headline, code, result.reason)


def placement(
        model: str = typer.Argument(..., help="The workload, e.g. Llama3_8B."),
        tokens: str = typer.Option(..., "--tokens", help="Work: training tokens (or generated "
                                                         "tokens with --mode serving), e.g. "
                                                         "1e12."),
        hardware: Optional[str] = typer.Option(None, "--hardware", help="Accelerators, comma "
                                               "separated (default: every Hardware.Cloud)."),
        grids: Optional[str] = typer.Option(None, "--grid", help="Grids, comma separated "
                                            "(default: every Infrastructure.Grids)."),
        devices: int = typer.Option(8, "--devices", help="Accelerators the job runs on."),
        mode: str = typer.Option("training", "--mode", help="training or serving."),
        batch_size: int = typer.Option(8, "-b", "--batch-size", help="Sequences per device."),
        precision: str = typer.Option("fp16", "-p", "--precision"),
        objective: str = typer.Option("carbon", "--objective", help="carbon or cost."),
        cost_basis: str = typer.Option("rental", "--cost-basis", help="rental or tco."),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """The grid and accelerator that run a job with the least carbon or cost, and the
    carbon-cost front.

    Exit 2 when no candidate can run the job and be priced.
    """
    from ..optimizers import PlacementOptimizer

    result = PlacementOptimizer().optimize(
        model, tokens, hardware=_names(hardware), grids=_names(grids), devices=devices,
        mode=mode, batch_size=batch_size, precision=precision, objective=objective,
        cost_basis=cost_basis)
    if result.feasible:
        best = result.best
        headline = (f"Least {objective}: {best['hardware']} at {best['grid']} -> "
                    f"{best['carbon_tCO2e']:.4g} tCO2e, {best['cost_USD']:,.0f} USD "
                    f"({cost_basis}), {best['duration_days']:.4g} days")
    else:
        headline = "No candidate can run and be priced"
    finish(result, output, headline, 0 if result.feasible else EXIT_INFEASIBLE,
            result.reason)


def synthesis(
        model: str = typer.Argument(..., help="Decoder language model to serve."),
        throughput: Optional[float] = typer.Option(
            None, "--throughput", help="Output tokens per second to serve (default: one "
            "replica)."),
        slo_ttft: Optional[str] = typer.Option(None, "--slo-ttft", help="TTFT SLO, e.g. 2s."),
        slo_itl: Optional[str] = typer.Option(None, "--slo-itl", help="ITL SLO, e.g. 50ms."),
        input_tokens: int = typer.Option(1024, "--input-tokens"),
        output_tokens: int = typer.Option(256, "--output-tokens"),
        hardware: Optional[str] = typer.Option(None, "--hardware", help="Accelerators to "
                                               "choose from, comma separated (default: every "
                                               "Hardware.Cloud)."),
        budget: Optional[float] = typer.Option(None, "--budget", help="Largest cost, USD per "
                                                                     "hour."),
        precision: str = typer.Option("fp16", "-p", "--precision"),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """Inverse design (the Synthesis wall): the cheapest accelerator, tensor-parallel size
    and replica count meeting a throughput, the SLOs and a budget.

    Exit 3 when no design meets the targets.
    """
    from ..solvers import SynthesisModel

    for option, value in (("--throughput", throughput), ("--budget", budget)):
        if value is not None and not 0 < value < float("inf"):
            fail(f"{option} must be a finite number > 0, got {shown(value)}; e.g. {option} "
                 "100", output)
    result = SynthesisModel().solve(
        model, input_tokens, output_tokens,
        throughput=f"{throughput} token/s" if throughput is not None else None,
        slo_ttft=_slo(slo_ttft, "--slo-ttft", "2s", output),
        slo_itl=_slo(slo_itl, "--slo-itl", "50ms", output), hardware=_names(hardware),
        precision=precision, budget=f"{budget} USD/hour" if budget is not None else None)
    if result.feasible:
        headline = (f"Cheapest: {result.devices} x {result.hardware} ({result.replicas} "
                    f"replica(s) x tp {result.tp_size}) at "
                    f"{result.cost_per_hour.m_as('USD/hour'):,.2f} USD/hour")
        reason = ""
    else:
        headline = "No design meets the targets"
        reason = "no accelerator meets the targets: " + "; ".join(
            f"{path.rpartition('.')[2]}: {why}" for path, why in list(result.rejected.items())[:5])
    finish(result, output, headline, 0 if result.feasible else EXIT_CONSTRAINT, reason)


#: (name, function) of each ``mlsysim optimize`` subcommand, registered in cli/__init__.py.
COMMANDS = (("parallelism", parallelism), ("batching", batching), ("placement", placement),
            ("synthesis", synthesis))
