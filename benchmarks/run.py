"""Speed benchmarks, run with `make bench`. Reports medians; asserts nothing.

- import: `import mlsysim` in a fresh interpreter (target: under 0.3 s);
- first touch: `mlsysim.Hardware.Cloud.H100` in a fresh interpreter (loads one group);
- audit: the full provenance audit in process;
- Engine.solve: median time per call, Llama3_8B on H100 (target: at most 50 us);
- sweep: configurations per second of Engine.sweep over hardware x batch x precision x model
  (target: at least 1 million per second), checked cell by cell against the scalar path on a sample;
- `mlsysim eval` in a fresh process (target: under 0.6 s), when the command exists;
- Scenario.evaluate(): median per scenario over the Zoo's scenarios, and `mlsysim eval
  ChatbotServing` in a fresh process;
- the site build (`mlsysim site build --strict`) in a fresh process, and its steps in
  process on a loaded Zoo: the render step alone (view model + Jinja2 templates for every
  page), gate 6 over the rendered pages, and the appendix tables.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 15


def fresh_process(code: str) -> float:
    """Median wall time of running ``code`` in a new interpreter, minus an empty interpreter."""
    def once(snippet: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", snippet], check=True)
        return time.perf_counter() - start

    baseline = statistics.median(once("pass") for _ in range(RUNS))
    return statistics.median(once(code) for _ in range(RUNS)), baseline


def in_process(fn, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    total, baseline = fresh_process("import mlsysim")
    print(f"import mlsysim (fresh process):       {total * 1e3:7.1f} ms median "
          f"({(total - baseline) * 1e3:.1f} ms over a bare interpreter; target < 300 ms)")
    total, _ = fresh_process("import mlsysim; mlsysim.Hardware.Cloud.H100")
    print(f"import + first Hardware.Cloud.H100:   {total * 1e3:7.1f} ms median")

    from mlsysim.lineage.audit import audit_zoo
    from mlsysim.zoo.registry import Zoo

    audit = in_process(lambda: audit_zoo(Zoo()), runs=5)
    print(f"full provenance audit (in process):   {audit * 1e3:7.1f} ms median")

    bench_solve()
    bench_sweep()
    bench_cli()
    bench_evaluate()
    bench_site()
    bench_optimizers()
    bench_validate()


def bench_solve() -> None:
    from mlsysim import Engine, Hardware, Models

    model, chip = Models.Language.Llama3_8B, Hardware.Cloud.H100
    Engine.solve(model, chip, batch_size=8)  # warm the caches
    calls = 2000
    medians = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(calls):
            Engine.solve(model=model, hardware=chip, batch_size=8, precision="fp16",
                         efficiency=0.5)
        medians.append((time.perf_counter() - start) / calls)
    per_call = statistics.median(medians)
    print(f"Engine.solve Llama3_8B on H100:       {per_call * 1e6:7.1f} us median per call "
          "(target <= 50 us)")


def bench_sweep() -> None:
    import random

    from mlsysim import Engine, Hardware, Models
    from mlsysim.errors import PrecisionError

    models = [m for group in ("Language", "Vision") for m in Models[group]]
    chips = [h for group in ("Cloud", "Workstation", "Edge") for h in Hardware[group]]
    batches = list(range(1, 257))
    precisions = ["fp32", "fp16", "bf16", "fp8", "int8", "int4"]
    Engine.sweep(models[:1], chips[:1], batches[:2], precisions[:1])
    elapsed = in_process(lambda: Engine.sweep(models, chips, batches, precisions, 0.5), runs=5)
    result = Engine.sweep(models, chips, batches, precisions, 0.5)
    rate = result.size / elapsed
    print(f"Engine.sweep ({len(models)} models x {len(chips)} chips x {len(batches)} batches x "
          f"{len(precisions)} precisions = {result.size:,} configurations): "
          f"{rate / 1e6:.2f} M configurations/s (target >= 1 M/s)")
    rng = random.Random(0)
    checked = mismatched = 0
    for _ in range(300):
        i, j = rng.randrange(len(models)), rng.randrange(len(chips))
        k, p = rng.randrange(len(batches)), rng.randrange(len(precisions))
        try:
            scalar = Engine.solve(models[i], chips[j], batch_size=batches[k],
                                  precision=precisions[p], efficiency=0.5).latency_s
        except PrecisionError:
            scalar = float("nan")
        cell = float(result.latency_s[i, j, k, p])
        checked += 1
        mismatched += not (cell == scalar or (cell != cell and scalar != scalar))
    print(f"  sweep vs scalar path on {checked} random cells: {mismatched} mismatches")


def bench_cli() -> None:
    import shutil

    command = shutil.which("mlsysim") or str(Path(sys.executable).with_name("mlsysim"))
    probe = subprocess.run([command, "eval", "--help"], capture_output=True)
    if probe.returncode != 0:
        print("mlsysim eval (fresh process):          not available yet")
        return
    baseline = statistics.median(_timed([sys.executable, "-c", "pass"]) for _ in range(5))
    total = statistics.median(_timed([command, "eval", "Llama3_8B", "H100"]) for _ in range(RUNS))
    print(f"mlsysim eval Llama3_8B H100 (fresh):  {total * 1e3:7.1f} ms median "
          f"({(total - baseline) * 1e3:.1f} ms over a bare interpreter; target < 600 ms)")


def bench_evaluate() -> None:
    import mlsysim

    names = sorted(mlsysim.Scenarios.Examples.keys())
    for name in names:  # warm the caches once
        getattr(mlsysim.Scenarios, name).evaluate()
    per = in_process(lambda: [getattr(mlsysim.Scenarios, n).evaluate() for n in names])
    print(f"Scenario.evaluate() (all {len(names)} scenarios): {per / len(names) * 1e3:7.2f} ms "
          "median per scenario")
    command = shutil_which()
    total = statistics.median(_timed([command, "eval", "ChatbotServing"], ok=(0, 3))
                              for _ in range(5))
    print(f"mlsysim eval ChatbotServing (fresh):  {total * 1e3:7.1f} ms median")


def bench_site() -> None:
    import datetime as dt
    import tempfile

    from mlsysim.appendix import load_tables, render_tables
    from mlsysim.lineage.audit import audit_zoo
    from mlsysim.lineage.references import ReferenceIndex, check_texts
    from mlsysim.site.pages import SiteModel
    from mlsysim.site.render import render_docs
    from mlsysim.zoo.registry import Zoo

    zoo, as_of = Zoo(), dt.date(2026, 11, 22)
    audit_zoo(zoo, as_of=as_of)  # warm-up: loads every group once
    files = render_docs(SiteModel(zoo, as_of=as_of))
    render = in_process(lambda: render_docs(SiteModel(zoo, as_of=as_of)), runs=5)
    pages = [(name, text) for name, text in files.items() if name.endswith(".md")]
    print(f"site render step alone ({len(files)} files): {render * 1e3:7.1f} ms median of 5")
    loaded = {group.path: group.records() for group in zoo.groups()}
    scan = in_process(lambda: check_texts(pages, ReferenceIndex.from_loaded(zoo, loaded)), runs=5)
    print(f"gate 6 over the rendered pages:       {scan * 1e3:7.1f} ms median of 5")
    tables = load_tables()
    appendix = in_process(lambda: render_tables(tables, zoo, as_of=as_of), runs=5)
    print(f"appendix tables ({len(tables)} tables):         {appendix * 1e3:7.1f} ms median of 5")

    command = shutil_which()
    with tempfile.TemporaryDirectory() as out:
        total = statistics.median(_timed([command, "site", "build", "--strict", "--out",
                                          str(Path(out) / "site")]) for _ in range(3))
        site = Path(out) / "site"
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        pages = [p.stat().st_size for p in site.rglob("*.html")]
    print(f"mlsysim site build --strict (fresh):  {total:7.2f} s median of 3")
    print(f"site size: {size / 2**20:7.1f} MiB total, {len(pages)} pages, "
          f"median page {statistics.median(pages) / 1024:6.1f} KiB")


def shutil_which() -> str:
    import shutil

    return shutil.which("mlsysim") or str(Path(sys.executable).with_name("mlsysim"))


def _timed(argv, ok=(0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return time.perf_counter() - start


def bench_optimizers() -> None:
    """Median time of each optimizer on a representative question (target: under 1 s)."""
    from mlsysim.optimizers import BatchingOptimizer, ParallelismOptimizer, PlacementOptimizer
    from mlsysim.solvers import SynthesisModel

    cases = (
        ("ParallelismOptimizer Llama3_70B on Research_1024_H100, batch 1024",
         lambda: ParallelismOptimizer().optimize("Llama3_70B", "Research_1024_H100",
                                                 batch_size=1024)),
        ("BatchingOptimizer Llama3_8B on H100, ITL <= 50 ms",
         lambda: BatchingOptimizer().optimize("Llama3_8B", "H100", 1024, 256, slo_itl="50 ms")),
        ("PlacementOptimizer Llama3_8B, 1e11 tokens, every cloud chip x grid",
         lambda: PlacementOptimizer().optimize("Llama3_8B", 1e11, devices=8)),
        ("SynthesisModel Llama3_70B, 10k tokens/s, ITL <= 50 ms, every cloud chip",
         lambda: SynthesisModel().solve("Llama3_70B", 1024, 256, throughput="10000 token/s",
                                        slo_itl="50 ms")),
    )
    for label, run in cases:
        run()  # warm the caches
        print(f"{label}: {in_process(run, runs=5) * 1e3:7.1f} ms median of 5 (target < 1 s)")


def bench_validate() -> None:
    """`mlsysim validate` in a fresh process: every measurement predicted over the calibration
    grid, and refitted once per held-out source (target: under 20 s)."""
    elapsed = statistics.median(_timed([sys.executable, "-m", "mlsysim", "validate"])
                                for _ in range(3))
    print(f"mlsysim validate (fresh process):     {elapsed:7.2f} s median of 3 (target < 20 s)")


if __name__ == "__main__":
    main()
