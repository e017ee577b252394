"""Bounds are bounds (issue 16): a value its source gives as "less than 10 minutes" or
"higher than 90%" is marked, written as one on the site and in the CLI, and refused when
the mark is not 'upper' or 'lower'."""

import json
import re

from typer.testing import CliRunner

from conftest import AS_OF
from mlsysim.cli import app
from mlsysim.formatting import bounded
from mlsysim.lineage.audit import audit_zoo
from mlsysim.zoo.registry import Zoo

runner = CliRunner()

#: The bounds the shipped Zoo records, with the source's words in the entry's description.
SHIPPED = {"Systems.Reliability.Llama3_EffectiveTrainingTime": "lower",
           "Systems.Reliability.MegaScale_FailureDetectionTime": "upper",
           "Systems.Reliability.MegaScale_CatchUpTime": "upper",
           "Systems.Reliability.MegaScale_Restarts": "lower",
           "Systems.Reliability.MegaScale_EffectiveTrainingTime": "lower"}


def test_written_as_a_bound():
    assert bounded("10 min", "upper") == "≤ 10 min"
    assert bounded("0.9", "lower") == "≥ 0.9"
    assert bounded("0.9", None) == "0.9"


def test_shipped_bounds_are_marked():
    zoo = Zoo()
    for path, bound in SHIPPED.items():
        assert zoo.resolve(path).bound == bound, path


def test_cli_show_writes_the_bound():
    text = runner.invoke(app, ["show", "Systems.Reliability.MegaScale_FailureDetectionTime"]).output
    assert "≤ 10 min" in text and "[Verified]" in text
    data = json.loads(runner.invoke(app, ["show", "Systems.Reliability.MegaScale_Restarts",
                                          "-o", "json"]).output)
    assert data["numbers"][0]["bound"] == "lower" and data["numbers"][0]["value"] == "100"


def test_site_writes_the_bound(tmp_path):
    from mlsysim.site.build import build_site

    out = tmp_path / "site"
    build_site(out, as_of=AS_OF)
    html = (out / "zoo" / "Systems" / "Reliability" / "index.html").read_text()
    row = re.search(r'<span id="MegaScale_Restarts"></span>.*?</tr>', html, flags=re.S).group(0)
    assert "≥ 100" in row
    row = re.search(r'<span id="Llama3_JobInterruptions"></span>.*?</tr>', html, flags=re.S).group(0)
    assert "≥" not in row and "≤" not in row  # an exact count is not a bound
    exported = json.loads((out / "zoo.json").read_text())
    numbers = {n["path"]: n for e in exported["entries"] for n in e["numbers"]}
    assert numbers["Systems.Reliability.MegaScale_CatchUpTime"]["bound"] == "upper"
    assert "bound" not in numbers["Systems.Reliability.Llama3_JobInterruptions"]


def test_a_bound_that_is_neither_upper_nor_lower_is_refused(zoo_data):
    path = zoo_data / "Systems" / "Reliability.yaml"
    path.write_text(path.read_text().replace("  bound: upper\n", "  bound: below\n", 1))
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF)
    lines = [f.line() for f in report.errors]
    assert any("MegaScale_FailureDetectionTime" in line and "bound" in line and "'upper'" in line
               for line in lines), lines
