"""Speed benchmarks, run with `make bench`. Reports medians; asserts nothing.

- import: `import mlsysim` in a fresh interpreter (target: under 0.3 s);
- first touch: `mlsysim.Hardware.Cloud.H100` in a fresh interpreter (loads one group);
- audit: the full provenance audit in process.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

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


if __name__ == "__main__":
    main()
