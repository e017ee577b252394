"""The README's Python example runs as written."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], str(README), "exec"), {})
    assert "3.35 terabyte / second" in out.getvalue()
    assert "Hardware.Cloud.H100" in out.getvalue()


def test_readme_chip_example_loads(zoo_data):
    from mlsysim.zoo.registry import Zoo

    text = README.read_text()
    entry_yaml, source_yaml = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)[:2]
    (zoo_data / "Hardware" / "Cloud" / "MyChip.yaml").write_text(entry_yaml)
    with open(zoo_data / "sources.yaml", "a") as handle:
        handle.write("\n" + source_yaml)
    chip = Zoo(zoo_data).namespace("Hardware").Cloud.MyChip
    assert chip.peak("bf16").to("TFLOP/s").magnitude == 500
    assert chip.provenance_for("power.tdp").kind.value == "estimate"
