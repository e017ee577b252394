import json

import mlsysim

from typer.testing import CliRunner

from mlsysim.cli import app

runner = CliRunner()
AS_OF = "2026-12-03"  # tests/conftest.py AS_OF: the newest verification is not after it


def test_zoo_lists_entries_with_verified_share():
    result = runner.invoke(app, ["zoo", "Hardware.Cloud", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "Hardware.Cloud.MI300X" in result.output
    count = len(mlsysim.Hardware.Cloud)
    assert count >= 20
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"{count} entries,")
    assert "that cite a datasheet, paper or report)" in last


def test_zoo_counts_per_namespace_with_the_evidence_backed_share():
    result = runner.invoke(app, ["zoo", "-o", "json", "--as-of", AS_OF])
    data = json.loads(result.stdout)
    namespaces = data["namespaces"]
    assert set(namespaces) == {"Hardware", "Models", "Systems", "Infrastructure", "Ops", "Scenarios",
                               "ReferenceStats", "Literature"}
    assert namespaces["Hardware"]["entries"] == sum(
        1 for row in data["entries"] if row["path"].startswith("Hardware."))
    for counts in namespaces.values():
        assert counts["verified"] <= counts["evidence_backed"] <= counts["numbers"]
    verified = sum(n["verified"] for n in namespaces.values())
    backed = sum(n["evidence_backed"] for n in namespaces.values())
    assert verified / backed >= 0.80  # the Zoo's target for evidence-backed numbers


def test_zoo_json_is_one_document():
    result = runner.invoke(app, ["zoo", "Models", "-o", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    paths = {row["path"] for row in data["entries"]}
    assert "Models.Language.Llama3_70B" in paths and "Hardware.Cloud.H100" not in paths


def test_show_resolves_short_names_and_prints_the_source():
    result = runner.invoke(app, ["show", "H100.memory.bandwidth"])
    assert result.exit_code == 0
    assert "memory.bandwidth: 3.35 TB/s  [Verified]" in result.output
    assert "https://www.nvidia.com/en-us/data-center/h100/" in result.output
    unchecked = runner.invoke(app, ["show", "T4.compute.peak.fp16.dense"])
    assert "compute.peak.fp16.dense: 65 TFLOP/s  [Unverified]" in unchecked.output


def test_show_json_carries_provenance():
    result = runner.invoke(app, ["show", "Hardware.Cloud.MI300X.memory.bandwidth", "-o", "json",
                                 "--as-of", "2026-11-22"])
    data = json.loads(result.stdout)
    [number] = data["numbers"]
    assert number["status"] == "Verified" and number["provenance"]["verified"] == "2026-11-22"


def test_unknown_name_exits_1_with_close_matches():
    result = runner.invoke(app, ["show", "H10"])
    assert result.exit_code == 1
    assert "unknown name 'H10'; did you mean Hardware.Cloud.H100?" in result.output


def test_unknown_name_in_json_mode_is_still_one_json_document():
    result = runner.invoke(app, ["show", "Llama9", "-o", "json"])
    assert result.exit_code == 1
    assert "unknown name 'Llama9'" in json.loads(result.stdout)["error"]


def test_unknown_field_exits_1():
    result = runner.invoke(app, ["show", "H100.memory.bandwith"])
    assert result.exit_code == 1 and "has no field 'memory.bandwith'" in result.output


def test_audit_command_passes_on_shipped_zoo():
    result = runner.invoke(app, ["audit", "--strict", "--as-of", AS_OF])
    assert result.exit_code == 0 and "OK: " in result.output


def test_stale_after_the_policy_age():
    result = runner.invoke(app, ["show", "Hardware.Cloud.MI300X.memory.bandwidth", "-o", "json",
                                 "--as-of", "2030-01-01"])
    assert json.loads(result.stdout)["numbers"][0]["status"] == "Stale"


def test_bad_as_of_is_a_clear_error():
    result = runner.invoke(app, ["zoo", "--as-of", "soon"])
    assert result.exit_code == 1 and "--as-of must be a date YYYY-MM-DD, got 'soon'" in result.output


def test_eval_json_is_one_document_and_exit_codes():
    ok = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-o", "json"])
    assert ok.exit_code == 0
    assert json.loads(ok.stdout)["feasible"] is True
    oom = runner.invoke(app, ["eval", "Llama3_70B", "H100"])
    assert oom.exit_code == 2
    assert "Memory wall: needs 141.8 GB" in oom.output and "has 80 GB" in oom.output
    oom_json = runner.invoke(app, ["eval", "Llama3_70B", "H100", "-o", "json"])
    assert oom_json.exit_code == 2 and json.loads(oom_json.stdout)["feasible"] is False
    bad = runner.invoke(app, ["eval", "Llama3_8B", "H10", "-o", "json"])
    assert bad.exit_code == 1
    error = json.loads(bad.stdout)["error"]
    assert "unknown name 'H10'" in error and "Hardware.Cloud.H100" in error
    bad_batch = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-b", "0"])
    assert bad_batch.exit_code == 1 and "batch_size must be a whole number >= 1" in bad_batch.output


def test_serve_reports_ttft_and_needs_tp_for_70b():
    alone = runner.invoke(app, ["serve", "Llama3_70B", "H100", "--seq-len", "4096", "-o", "json"])
    assert alone.exit_code == 2 and json.loads(alone.stdout)["feasible"] is False
    split = runner.invoke(app, ["serve", "Llama3_70B", "H100", "--seq-len", "4096", "--tp", "4"])
    assert split.exit_code == 0 and "ttft" in split.output


def test_validate_prints_the_table_and_median():
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0
    assert "median absolute error over" in result.output
    data = json.loads(runner.invoke(app, ["validate", "-o", "json"]).stdout)
    assert data["compared"] >= 20 and data["held_out"]["overall"]["median"] <= 0.33


def test_show_accepts_the_flat_scenario_path():
    result = runner.invoke(app, ["show", "Scenarios.ChatbotServing"])
    assert result.exit_code == 0, result.output
    assert "Scenarios.Examples.ChatbotServing" in result.output


def test_eval_defaults_to_the_calibrated_efficiency_like_the_api():
    # One number everywhere: without -e, the CLI uses the calibrated class value that
    # Engine.solve uses, and says which Zoo number it was.
    from mlsysim import Engine

    result = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-b", "8", "-o", "json"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    api = Engine.solve("Llama3_8B", "H100", batch_size=8)
    assert cli["latency_s"] == api.latency.to("s").magnitude
    assert any("Literature.Calibration.DecodeComputeEfficiency" in line
               for line in cli["constraint_trace"])
    given = json.loads(runner.invoke(app, ["eval", "Llama3_8B", "H100", "-b", "8", "-e", "0.5",
                                           "-o", "json"]).stdout)
    assert given["compute_time_s"] != cli["compute_time_s"]  # 50% given vs 7% calibrated
