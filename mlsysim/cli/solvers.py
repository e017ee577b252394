"""``mlsysim eval``, ``serve``, ``solvers``, ``schema`` and ``validate``: the solvers on the
command line.

Exit codes: 0 success, 1 bad input (unknown name, value out of range, bad plan file),
2 physically infeasible (out of memory), 3 a constraint (SLA, budget) or a plan's assert
failed. With ``-o json`` stdout holds exactly one JSON document, errors included.
"""

from __future__ import annotations

from typing import Optional

import typer

from .contract import (EXIT_CONSTRAINT, EXIT_INFEASIBLE, Output, dumps, fail, finish,
                       shown)

#: ``eval`` options that describe one MODEL HARDWARE pass; a plan or scenario sets its own.
PASS_OPTIONS = {"batch_size": "-b/--batch-size", "precision": "-p/--precision",
                "efficiency": "-e/--efficiency", "seq_len": "--seq-len",
                "training": "--training"}


def _emit(result, output: Output, text: str) -> None:
    """Print a solver result as JSON, markdown or ``text``."""
    if output is Output.json:
        typer.echo(dumps(result.to_dict()))
    elif output is Output.markdown:
        typer.echo(result._repr_markdown_())
    else:
        typer.echo(text)


def eval_command(
        ctx: typer.Context,
        model: str = typer.Argument(..., help="Model short name or path (Llama3_8B), a plan "
                                              "file (plan.yaml) or a scenario (SmartDoorbell)."),
        hardware: Optional[str] = typer.Argument(None, help="Hardware short name or path, e.g. "
                                                            "H100 (not with a plan or scenario)."),
        batch_size: int = typer.Option(1, "-b", "--batch-size", help="Samples (sequences) per pass."),
        precision: str = typer.Option(
            "fp16", "-p", "--precision", help="fp32, fp16, bf16, fp8, int8, int4, or weight-only "
            "w4a16, w8a16 (WEIGHTS/MATH, e.g. int4/bf16)."),
        efficiency: Optional[float] = typer.Option(
            None, "-e", "--efficiency", help="Share of peak compute, (0, 1] (default: the "
            "calibrated value for the pass's class, cited in the trace)."),
        seq_len: int = typer.Option(None, "--seq-len", help="Context length for language models."),
        training: bool = typer.Option(False, "--training", help="Forward and backward pass."),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """One pass of MODEL on HARDWARE (Engine.solve), or a plan file / scenario's scorecard.

    Exit codes: 0 success, 1 bad input, 2 out of memory, 3 a constraint or assert failed.
    """
    if hardware is None:
        given = [flag for name, flag in PASS_OPTIONS.items()
                 if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
        if given:
            fail(f"{', '.join(given)} set(s) a MODEL HARDWARE pass and would be ignored for "
                  f"the plan or scenario {shown(model)}; set the value in the plan file "
                  "(fields in `mlsysim schema`), or give MODEL HARDWARE", output)
        _evaluate_plan_or_scenario(model, output)
        return
    from ..engine import Engine

    result = Engine.solve(
        model, hardware, batch_size=batch_size, precision=precision, efficiency=efficiency,
        seq_len=seq_len, is_training=training)
    _emit(result, output, "\n".join([result.summary()]
                                     + [f"  - {line}" for line in result.constraint_trace]))
    if not result.feasible:
        if output is not Output.json:
            typer.echo(f"infeasible: {result.reason}", err=True)
        raise typer.Exit(EXIT_INFEASIBLE)


def _evaluate_plan_or_scenario(target: str, output: Output) -> None:
    from pathlib import Path

    from ..errors import UnknownNameError
    from ..zoo.registry import default_zoo

    def run():
        from ..engine.checks import MAX_NAME_LENGTH
        from ..scenarios.plan import evaluate_plan, load_plan

        try:
            is_file = Path(target).is_file()
        except (OSError, ValueError):  # too long for a file name, a NUL byte
            is_file = False
        if target.endswith((".yaml", ".yml")) or is_file:
            return evaluate_plan(load_plan(target))
        usage = (" `mlsysim eval` takes MODEL HARDWARE (eval Llama3_8B H100), a plan file "
                 "(eval plan.yaml; fields in `mlsysim schema`) or a scenario name (eval "
                 "SmartDoorbell; list them with `mlsysim zoo Scenarios`)")
        if len(target) > MAX_NAME_LENGTH:
            raise UnknownNameError(f"{shown(target)} is not a plan file or scenario name;"
                                   + usage, name=target[:100])
        try:
            path = default_zoo().lookup(target, namespaces=("Scenarios",))
        except UnknownNameError as exc:
            message = str(exc).replace(repr(target), shown(target))
            raise UnknownNameError(f"{message}." + usage, name=target) from None
        return default_zoo().resolve(path).evaluate(), []

    evaluation, checks = run()
    failed_checks = [c for c in checks if not c.passed]
    code = EXIT_INFEASIBLE if evaluation.out_of_memory else \
        EXIT_CONSTRAINT if (not evaluation.passed or failed_checks) else 0
    if output is Output.json:
        document = evaluation.to_dict()
        document["asserts"] = [{"assert": c.text, "passed": c.passed, "message": c.message}
                               for c in checks]
        document["exit_code"] = code
        typer.echo(dumps(document))
    else:
        text = evaluation._repr_markdown_() if output is Output.markdown else \
            evaluation.scorecard()
        bullet = "- " if output is Output.markdown else "  "
        lines = [f"{bullet}assert {c.text}: {c.message}" for c in checks]
        typer.echo(text + ("\n" + "\n".join(lines) if lines else ""))
        if code:
            reasons = evaluation.failures + [f"assert {c.text}: {c.message}"
                                             for c in failed_checks]
            typer.echo(("infeasible: " if code == EXIT_INFEASIBLE else "constraint violated: ")
                       + "; ".join(reasons), err=True)
    if code:
        raise typer.Exit(code)


def schema_command(output: Output = typer.Option(Output.json, "-o", "--output",
                                                 help="json (or text: the same) or markdown")) -> None:
    """Print the JSON Schema of a plan file (what `mlsysim eval plan.yaml` reads)."""
    from ..scenarios.plan import PlanFile

    document = dumps(PlanFile.model_json_schema(), indent=2)
    typer.echo(f"```json\n{document}\n```" if output is Output.markdown else document)


#: ``serve`` options that switch it to serving capacity (ContinuousBatchingModel).
CAPACITY_OPTIONS = ("slo_ttft", "slo_itl", "output_tokens", "arrival_rate")

#: Tokens generated per request when only an SLO is given (a workload convention, shown in
#: ``mlsysim serve --help``).
DEFAULT_OUTPUT_TOKENS = 256


def solvers_command(
        name: Optional[str] = typer.Argument(None, help="A solver's name (e.g. ServingModel): "
                                                        "list its result fields."),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """The registered solvers: name, the scenario modes each serves (a plan's `solvers:`), and
    what it predicts; with NAME, the fields of its result."""
    from ..solvers import registry

    records = registry.records() if name is None else \
        (registry.get(name),)
    if output is Output.json:
        typer.echo(dumps([record.to_dict() for record in records]))
    elif name is not None:
        record = records[0]
        rows = list(record.result.field_descriptions().items())
        if output is Output.markdown:
            typer.echo(f"**{record.name}** ({', '.join(record.modes)}): {record.summary}\n\n"
                       "| field | meaning |\n|---|---|\n"
                       + "\n".join(f"| {field} | {text} |" for field, text in rows))
        else:
            width = max(len(field) for field, _ in rows)
            typer.echo(f"{record.name} ({', '.join(record.modes)}): {record.summary}\n"
                       + "\n".join(f"  {field:<{width}}  {text}" for field, text in rows))
    elif output is Output.markdown:
        typer.echo("| solver | modes | what it predicts |\n|---|---|---|\n" + "\n".join(
            f"| {r.name} | {', '.join(r.modes)} | {r.summary} |" for r in records))
    else:
        width = max(len(r.name) for r in records)
        typer.echo("\n".join(f"{r.name:<{width}}  {', '.join(r.modes):<30}  {r.summary}"
                              for r in records))


def serve_command(
        ctx: typer.Context,
        model: str = typer.Argument(..., help="Decoder language model, e.g. Llama3_70B."),
        hardware: str = typer.Argument(..., help="Accelerator, e.g. H100."),
        seq_len: int = typer.Option(2048, "--seq-len", help="Prompt plus context tokens (with "
                                                            "an SLO: prompt tokens per request)."),
        batch_size: Optional[int] = typer.Option(
            None, "-b", "--batch-size",
            help="Concurrent requests (default 1; with an SLO: evaluate this batch instead of "
                 "searching for the largest)."),
        precision: str = typer.Option("fp16", "-p", "--precision",
                                      help="fp16, fp8, ... or weight-only w4a16, w8a16."),
        efficiency: Optional[float] = typer.Option(
            None, "-e", "--efficiency", help="Share of peak compute, (0, 1] (default: the "
            "calibrated prefill and decode values, cited in the trace)."),
        tp_size: int = typer.Option(1, "--tp", help="Tensor-parallel GPUs in the node."),
        slo_ttft: Optional[str] = typer.Option(
            None, "--slo-ttft", help="Time-to-first-token SLO, e.g. 2s or 500ms: print the "
            "largest continuous batch and throughput meeting it."),
        slo_itl: Optional[str] = typer.Option(
            None, "--slo-itl", help="Inter-token latency SLO, e.g. 50ms (mean time per output "
            "token, prefill stalls included)."),
        output_tokens: int = typer.Option(
            DEFAULT_OUTPUT_TOKENS, "--output-tokens",
            help="Tokens generated per request (serving capacity; switches it on)."),
        arrival_rate: Optional[float] = typer.Option(
            None, "--arrival-rate", help="Requests per second (Poisson) offered to the server: "
            "adds the wait for a free slot to TTFT (P50, P99)."),
        chunk_size: Optional[str] = typer.Option(
            None, "--chunk-size", help="Chunked prefill (ChunkedPrefillModel): prefill tokens "
            "per decode iteration, or 'auto' for the highest throughput whose worst iteration "
            "meets --slo-itl."),
        prefix_hit_rate: Optional[float] = typer.Option(
            None, "--prefix-hit-rate", help="Prefix caching (PrefixCachingModel): share of "
            "requests whose prompt prefix is cached, [0, 1]; with --prefix-len."),
        prefix_len: Optional[int] = typer.Option(
            None, "--prefix-len", help="Cached prefix tokens a hit skips (< --seq-len); with "
            "--prefix-hit-rate."),
        disaggregate: Optional[str] = typer.Option(
            None, "--disaggregate", help="Prefill/decode disaggregation "
            "(DisaggregatedServingModel): PREFILL_GPUS:DECODE_GPUS (e.g. 2:6), or a total such "
            "as 8 to search the best split; --tp is each replica's tensor parallelism."),
        output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """LLM serving: time to first token, inter-token latency, KV cache, memory fit.

    With --slo-ttft, --slo-itl, --output-tokens or --arrival-rate: serving capacity under
    continuous batching (paged KV cache): the largest batch meeting the SLOs, its throughput
    and which constraint binds; with --arrival-rate, TTFT percentiles with the wait for a slot.
    Exit 2 when the weights leave no room for one request, 3 when no batch meets the SLO (or,
    at --arrival-rate, the P99 TTFT misses it or the load exceeds the capacity).

    --chunk-size, --prefix-hit-rate/--prefix-len and --disaggregate (one at a time) compare
    chunked prefill, prefix caching or disaggregated pools with plain continuous batching
    (prompt --seq-len, --output-tokens, the SLOs); same exit codes.
    """
    extension = _serving_extension(ctx, chunk_size, prefix_hit_rate, prefix_len, disaggregate,
                                   arrival_rate, output)
    if extension is not None:
        _serve_extension(extension, model, hardware, seq_len, batch_size, precision, efficiency,
                         tp_size, _slo(slo_ttft, "--slo-ttft", "2s", output),
                         _slo(slo_itl, "--slo-itl", "50ms", output), output_tokens,
                         chunk_size, prefix_hit_rate, prefix_len, disaggregate, output)
        return
    given = [name for name in CAPACITY_OPTIONS
             if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
    if given:
        if output_tokens < 2:
            fail(f"--output-tokens must be >= 2 for serving capacity (the first token comes "
                 f"from the prefill, the rest from decode steps), got {output_tokens}; for "
                 "the prompt alone run `mlsysim serve` without --output-tokens or an SLO",
                 output)
        if arrival_rate is not None and not 0 < arrival_rate < float("inf"):
            fail(f"--arrival-rate must be a finite number of requests per second > 0, got "
                 f"{shown(arrival_rate)}; e.g. --arrival-rate 2.5", output)
        _serve_capacity(model, hardware, seq_len, batch_size, precision, efficiency, tp_size,
                        _slo(slo_ttft, "--slo-ttft", "2s", output),
                        _slo(slo_itl, "--slo-itl", "50ms", output), output_tokens, arrival_rate,
                        output)
        return
    from ..solvers import registry

    result = registry.get("ServingModel").create().solve(
        model, hardware, seq_len=seq_len, batch_size=1 if batch_size is None else batch_size,
        precision=precision, efficiency=efficiency, tp_size=tp_size)
    _emit(result, output, str(result))
    if not result.feasible:
        raise typer.Exit(EXIT_INFEASIBLE)


def _slo(text: Optional[str], option: str, example: str, output: Output):
    """``text`` as a time Quantity > 0, or None; a one-line error naming the option."""
    if text is None:
        return None
    from ..units import UnitParseError, parse_quantity

    fix = f"write a time with its unit, e.g. {option} {example}"
    try:
        value = parse_quantity(text)
    except UnitParseError as exc:
        fail(f"{option} must be a time such as {example}, got {shown(text)}: {exc}", output)
    if not value.check("[time]"):
        unit = f"{value.units:~}" or "no unit"
        fail(f"{option} must be a time, got {shown(text)} ({unit}); {fix}", output)
    if not value.magnitude > 0:
        fail(f"{option} must be > 0, got {shown(text)}; {fix}", output)
    return value


def _serve_capacity(model, hardware, seq_len, batch_size, precision, efficiency, tp_size,
                    slo_ttft, slo_itl, output_tokens, arrival_rate, output: Output) -> None:
    from ..formatting import number, quantity
    from ..solvers import ContinuousBatchingModel

    result = ContinuousBatchingModel().solve(
        model, hardware, seq_len, output_tokens, tp_size=tp_size, precision=precision,
        slo_ttft=slo_ttft, slo_itl=slo_itl, efficiency=efficiency, batch_size=batch_size,
        arrival_rate=arrival_rate)
    code = EXIT_INFEASIBLE if not result.feasible else \
        EXIT_CONSTRAINT if not result.meets_slo else 0
    slo = " and ".join(f"{name} <= {quantity(value)}" for name, value in
                       (("TTFT", slo_ttft), ("ITL", slo_itl)) if value is not None)
    if result.batch_size is None:
        headline = f"No batch meets {slo}" if result.feasible else \
            f"{model} does not fit on {tp_size} x {hardware}"
    else:
        what = (f"Batch {result.batch_size} (given)" if result.binding == "given" else
                f"Largest batch{' meeting ' + slo if slo else ''}: {result.batch_size} "
                f"({result.binding} binds)")
        headline = (f"{what} -> {quantity(result.throughput)} "
                    f"({quantity(result.throughput_per_gpu)} per GPU), "
                    f"{number(result.request_rate.m_as('1/s'))} requests/s; TTFT "
                    f"{quantity(result.ttft)}, ITL {quantity(result.itl)}, end-to-end "
                    f"{quantity(result.end_to_end_latency)}")
        if result.ttft_p99 is not None:
            headline += (f"; at {number(arrival_rate)} requests/s TTFT P50 "
                         f"{quantity(result.ttft_p50)}, P99 {quantity(result.ttft_p99)}")
    finish(result, output, headline, code, result.reason)


def validate_command(output: Output = typer.Option(Output.text, "-o", "--output")) -> None:
    """Compare predictions with published, cited measurements; print the held-out error
    (leave-one-source-out, the headline) and the in-sample error beside it."""
    from ..validation import validate

    report = validate()
    if output is Output.json:
        typer.echo(dumps(report.to_dict()))
    elif output is Output.markdown:
        held = {h.measurement.id: h for h in report.held_out}
        rows = "\n".join(f"| {r.measurement.id} | {r.predicted:.4g} | {r.measurement.measured:.4g} "
                         f"| {r.measurement.unit} | {r.error:+.1%} | "
                         + (f"{held[r.measurement.id].error:+.1%}" if r.measurement.id in held
                            else "-")
                         + f" | {r.measurement.source} |"
                         for r in report.rows)
        summary = "\n".join(f"- {line}" for line in report.headline()[:2])
        typer.echo("| measurement | predicted | measured | unit | in-sample error | held-out error "
                   f"| source |\n|---|---|---|---|---|---|---|\n{rows}\n\n{summary}")
    else:
        typer.echo(report.table())


#: The ``serve`` options of the serving extensions, by the solver each switches on.
EXTENSION_OPTIONS = {"chunk_size": "--chunk-size", "prefix_hit_rate": "--prefix-hit-rate",
                     "prefix_len": "--prefix-len", "disaggregate": "--disaggregate"}


def _serving_extension(ctx, chunk_size, prefix_hit_rate, prefix_len, disaggregate,
                       arrival_rate, output: Output) -> Optional[str]:
    """Which extension the options ask for ('chunked', 'prefix', 'disaggregated') or None; a
    one-line error (exit 1) for a combination that cannot run."""
    wanted = [flag for name, flag in EXTENSION_OPTIONS.items()
              if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
    if not wanted:
        return None
    kinds = {"--chunk-size": "chunked", "--prefix-hit-rate": "prefix", "--prefix-len": "prefix",
             "--disaggregate": "disaggregated"}
    chosen = sorted({kinds[flag] for flag in wanted})
    if len(chosen) > 1:
        fail(f"{', '.join(wanted)} ask for different models; give one of --chunk-size, "
             "--prefix-hit-rate/--prefix-len or --disaggregate per run", output)
    if chosen == ["prefix"] and (prefix_hit_rate is None or prefix_len is None):
        missing = "--prefix-len" if prefix_len is None else "--prefix-hit-rate"
        fail(f"prefix caching needs both --prefix-hit-rate and --prefix-len; {missing} is "
             "missing, e.g. --prefix-hit-rate 0.5 --prefix-len 1024", output)
    if arrival_rate is not None:
        fail(f"--arrival-rate applies to plain continuous batching, not with {wanted[0]}; drop "
             "one of them", output)
    return chosen[0]


def _chunk(text: str, output: Output) -> Optional[int]:
    """--chunk-size as a whole number >= 1, or None for 'auto'."""
    if text.strip().lower() == "auto":
        return None
    if not text.strip().isdigit() or int(text) < 1:
        fail(f"--chunk-size must be a whole number of tokens >= 1 or 'auto', got {shown(text)}; "
             "e.g. --chunk-size 512", output)
    return int(text)


def _split(text: str, output: Output) -> dict:
    """--disaggregate P:D as prefill_gpus/decode_gpus, or N as gpus."""
    parts = text.split(":")
    if len(parts) > 2 or not all(part.strip().isdigit() and int(part) >= 1 for part in parts):
        fail(f"--disaggregate must be PREFILL_GPUS:DECODE_GPUS (whole numbers >= 1) or a total "
             f"GPU count, got {shown(text)}; e.g. --disaggregate 2:6 or --disaggregate 8",
             output)
    if len(parts) == 1:
        return {"gpus": int(parts[0])}
    return {"prefill_gpus": int(parts[0]), "decode_gpus": int(parts[1])}


def _serve_extension(kind, model, hardware, seq_len, batch_size, precision, efficiency,
                     tp_size, slo_ttft, slo_itl, output_tokens, chunk_size, prefix_hit_rate,
                     prefix_len, disaggregate, output: Output) -> None:
    from ..formatting import number, quantity
    from ..solvers import registry

    common = dict(precision=precision, efficiency=efficiency, slo_itl=slo_itl)
    if kind == "chunked":
        if slo_ttft is not None:
            fail("--slo-ttft does not apply with --chunk-size (chunked prefill is sized by the "
                 "worst iteration against --slo-itl; its TTFT is reported); drop it", output)
        result = registry.get("ChunkedPrefillModel").create().solve(
            model, hardware, seq_len, output_tokens, chunk_size=_chunk(chunk_size, output),
            batch_size=batch_size, tp_size=tp_size, **common)
        headline = (f"Chunk {result.chunk_size} tokens ({result.chunks_per_prompt} per prompt), "
                    f"batch {result.batch_size}: TTFT {quantity(result.ttft)}, ITL "
                    f"{quantity(result.itl)} (worst {quantity(result.max_step_time)}), "
                    f"{quantity(result.throughput)}; unchunked: worst gap "
                    f"{quantity(result.baseline_worst_itl)} (prefill stall "
                    f"{quantity(result.prefill_stall)}), {quantity(result.baseline_throughput)}")
        feasible = result.feasible
    elif kind == "prefix":
        result = registry.get("PrefixCachingModel").create().solve(
            model, hardware, seq_len, output_tokens, prefix_hit_rate, prefix_len,
            tp_size=tp_size, slo_ttft=slo_ttft, batch_size=batch_size, **common)
        headline = (f"Prefix cache (hit rate {number(prefix_hit_rate)}, {prefix_len} tokens): "
                    f"TTFT {quantity(result.ttft)} vs {quantity(result.baseline_ttft)} "
                    f"({number(result.ttft_speedup)} x), {quantity(result.throughput)} vs "
                    f"{quantity(result.baseline_throughput)} "
                    f"({number(result.throughput_gain)} x)")
        feasible = result.cached.feasible
    else:
        if batch_size is not None:
            fail("-b/--batch-size does not apply with --disaggregate (the decode batch is the "
                 "largest meeting --slo-itl); drop it", output)
        result = registry.get("DisaggregatedServingModel").create().solve(
            model, hardware, seq_len, output_tokens, prefill_tp=tp_size, decode_tp=tp_size,
            slo_ttft=slo_ttft, **_split(disaggregate, output), **common)
        headline = (f"Disaggregated {result.prefill_gpus} prefill + {result.decode_gpus} decode "
                    f"GPUs: goodput {number(result.goodput.m_as('1/s'))} requests/s "
                    f"({number(result.goodput_per_gpu.m_as('1/s'))} per GPU) vs colocated "
                    f"{number(result.colocated_goodput_per_gpu.m_as('1/s'))} per GPU; TTFT "
                    f"{quantity(result.ttft)}, ITL {quantity(result.itl)}, KV transfer "
                    f"{quantity(result.kv_transfer_time)}")
        feasible = result.feasible
    code = EXIT_INFEASIBLE if not feasible else EXIT_CONSTRAINT if not result.meets_slo else 0
    finish(result, output, headline, code, result.reason)
