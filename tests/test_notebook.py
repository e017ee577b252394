"""A small notebook run in a real Jupyter kernel (nbclient + ipykernel): entries, sourced
numbers, results and evaluations render with value, unit, badge and source."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is a test dependency (.[test])")
nbclient = pytest.importorskip("nbclient", reason="nbclient is a test dependency (.[test])")
pytest.importorskip("ipykernel", reason="ipykernel is a test dependency (.[test])")

CELLS = [
    "import mlsysim\nmlsysim.Hardware.Cloud.H100",
    "mlsysim.Systems.Reliability.Llama3_CheckpointStorageSustained",
    "mlsysim.Literature.Training.MfuHigh",
    "mlsysim.Engine.solve('Llama3_70B', 'H100')",
    "from mlsysim.solvers import ReliabilityModel\n"
    "ReliabilityModel().solve('Research_1024_H100', job_duration_hours=24)",
    "mlsysim.Scenarios.ChatbotServing.evaluate(batch_size=8)",
]


@pytest.fixture(scope="module")
def outputs():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": "."}})
    client.execute()
    result = []
    for cell in notebook.cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, errors
        [data] = [o.data for o in cell.outputs if o.output_type == "execute_result"]
        result.append(data)
    return result


def test_entry_renders_a_table_with_badges_and_links(outputs):
    markdown, html = outputs[0]["text/markdown"], outputs[0]["text/html"]
    assert "**NVIDIA H100 SXM5 80GB** (`Hardware.Cloud.H100`)" in markdown
    assert "| memory.capacity | 80 GB | Verified |" in markdown
    assert "| release_year | 2022 | Unverified |" in markdown
    assert "<table>" in html and "href='https://" in html


def test_sourced_quantity_and_float_show_badge_and_source(outputs):
    quantity = outputs[1]["text/markdown"]
    assert quantity.startswith("**Llama 3 checkpoint storage throughput (sustained)** = 2 TB/s")
    assert "*Verified*" in quantity and "(https://arxiv.org/abs/2407.21783)" in quantity
    assert "verified 2026-11-22" in quantity
    number = outputs[2]["text/markdown"]
    assert number.startswith("**Training MFU, high end** = 0.462 · *Verified* · [Chowdhery")
    assert "(https://arxiv.org/abs/2204.02311), verified 2026-11-22" in number


def test_results_and_evaluations_render(outputs):
    engine = outputs[3]["text/markdown"]
    assert "| Feasible | no |" in engine and "Memory wall" in engine
    reliability = outputs[4]["text/markdown"]
    assert reliability.startswith("**ReliabilityModel**") and "| fleet_mtbf |" in reliability
    assert "<table>" in outputs[4]["text/html"]
    evaluation = outputs[5]["text/markdown"]
    assert "| Performance | **FAIL** |" in evaluation and "Latency wall" in evaluation
    assert "Verdict: FAIL" in outputs[5]["text/html"]
