"""The provenance audit, run for real on copies of the package with one thing broken."""

import datetime as dt
import os
import subprocess
import sys

import pytest

from conftest import AS_OF
from mlsysim.lineage.audit import audit_zoo
from mlsysim.lineage.policy import FreshnessPolicy
from mlsysim.provenance import ProvenanceKind
from mlsysim.zoo.registry import Zoo

AUDIT = [sys.executable, "-m", "mlsysim.tools.audit_provenance", "--scope", "all", "--strict",
         "--as-of", AS_OF.isoformat()]


def run_audit(site_dir, *extra):
    env = {**os.environ, "PYTHONPATH": str(site_dir)}
    return subprocess.run(AUDIT + list(extra), capture_output=True, text=True, env=env,
                          cwd=site_dir)


def data_dir(site_dir):
    return site_dir / "mlsysim" / "zoo" / "data"


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def error_lines(result):
    return [line for line in result.stdout.splitlines() if "[unverified]" not in line
            and not line.startswith(("OK", "FAILED"))]


def test_shipped_zoo_passes_strict_audit():
    result = subprocess.run(AUDIT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("OK: ")


def test_copy_is_really_used(package_copy):
    # Guard for the tests below: the copy, not the installed package, is what runs.
    marker = package_copy / "mlsysim" / "zoo" / "data" / "Hardware" / "Cloud" / "H100.yaml"
    edit(marker, "vendor: NVIDIA\n", "vendor: NVIDIA\nbogus_field: 1\n")
    result = run_audit(package_copy)
    assert result.returncode == 1 and "bogus_field" in result.stdout


def test_removed_provenance_fails_gate_1(package_copy):
    edit(data_dir(package_copy) / "Hardware" / "Cloud" / "H100.yaml",
         "provenance: nvidia-h100-datasheet\n", "")
    result = run_audit(package_copy)
    assert result.returncode == 1
    [line] = error_lines(result)
    assert line.startswith("Hardware.Cloud.H100: [missing-provenance]")
    assert "release_year" in line and "add 'provenance: <catalog id>'" in line


def test_unknown_catalog_id_fails_gate_3(package_copy):
    edit(data_dir(package_copy) / "Models" / "Language" / "GPT2.yaml",
         "provenance: hf-gpt2-xl-config", "provenance: hf-gpt2-config")
    result = run_audit(package_copy)
    assert result.returncode == 1
    [line] = error_lines(result)
    assert line.startswith("Models.Language.GPT2: [dangling-reference] field provenance: "
                           "unknown source id 'hf-gpt2-config'")
    assert "GPT2.yaml" in line


def test_expired_verification_fails_gate_4(package_copy):
    # The MI300X microarchitecture record, verified in 2019: older than the 3-year datasheet policy.
    edit(data_dir(package_copy) / "sources.yaml",
         "amd-rocm-mi300-microarch:\n  kind: datasheet\n", "amd-rocm-mi300-microarch:\n  kind: datasheet\n")
    text = (data_dir(package_copy) / "sources.yaml").read_text()
    start = text.index("amd-rocm-mi300-microarch:")
    end = text.index("verified: 2026-11-22", start)
    text = text[:end] + "verified: 2019-06-01" + text[end + len("verified: 2026-11-22"):]
    (data_dir(package_copy) / "sources.yaml").write_text(text)
    result = run_audit(package_copy)
    assert result.returncode == 1
    lines = error_lines(result)
    assert lines and all("[expired-verification]" in line for line in lines)
    assert all(line.startswith("Hardware.Cloud.MI300X.") for line in lines)
    assert "Hardware.Cloud.MI300X.memory.bandwidth: [expired-verification]" in result.stdout
    assert "verified 2019-06-01, 2742 days before 2026-12-03; the policy (datasheet allows 1095 days)" in result.stdout


def test_invalid_record_fails_gate_2(package_copy):
    edit(data_dir(package_copy) / "sources.yaml",
         "  url: https://arxiv.org/abs/2204.02311\n", "")
    result = run_audit(package_copy)
    assert result.returncode == 1
    assert ("sources.yaml#chowdhery-2022-palm: [invalid-record] invalid provenance record: "
            "a literature record needs a url") in result.stdout
    assert "Literature.Training.MfuHigh: [invalid-record]" in result.stdout


def test_broken_derived_input_fails_gate_3(package_copy):
    edit(data_dir(package_copy) / "Models" / "Language" / "GPT2.yaml",
         "inputs: [Models.Language.GPT2.parameters,", "inputs: [Models.Language.GPT2.params,")
    result = run_audit(package_copy)
    assert result.returncode == 1
    [line] = error_lines(result)
    assert line.startswith("Models.Language.GPT2.flops_per_token: [dangling-reference] "
                           "derived input Models.Language.GPT2.params does not resolve")


def test_findings_are_sorted_and_counted(package_copy):
    edit(data_dir(package_copy) / "Hardware" / "Cloud" / "H100.yaml",
         "provenance: nvidia-h100-datasheet\n", "")
    edit(data_dir(package_copy) / "Hardware" / "Cloud" / "A100.yaml",
         "provenance: nvidia-a100-datasheet\n", "")
    result = run_audit(package_copy)
    lines = result.stdout.splitlines()
    assert lines[:-1] == sorted(lines[:-1])
    assert lines[-1].startswith("FAILED: 2 error(s)")


def test_without_strict_findings_do_not_fail(package_copy):
    edit(data_dir(package_copy) / "Hardware" / "Cloud" / "H100.yaml",
         "provenance: nvidia-h100-datasheet\n", "")
    env = {**os.environ, "PYTHONPATH": str(package_copy)}
    result = subprocess.run([sys.executable, "-m", "mlsysim.tools.audit_provenance"],
                            capture_output=True, text=True, env=env, cwd=package_copy)
    assert result.returncode == 0 and "[missing-provenance]" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--as-of", "22/11/2026"], "--as-of must be a date YYYY-MM-DD, got '22/11/2026'"),
    (["--scope", "Hardwear"], "--scope: unknown namespace(s) Hardwear"),
    (["--data-dir", "/nonexistent"], "holds no namespaces.yaml"),
])
def test_bad_arguments_exit_2(args, message):
    result = subprocess.run([sys.executable, "-m", "mlsysim.tools.audit_provenance", *args],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr


def test_scope_limits_the_audit(zoo_data):
    edit(zoo_data / "Hardware" / "Cloud" / "H100.yaml", "provenance: nvidia-h100-datasheet\n", "")
    assert audit_zoo(Zoo(zoo_data), as_of=AS_OF, scope=["Models"]).errors == []
    assert audit_zoo(Zoo(zoo_data), as_of=AS_OF, scope=["Hardware"]).errors


def test_unverified_records_are_warnings_not_errors():
    report = audit_zoo(Zoo(), as_of=AS_OF)
    assert report.errors == []
    labels = {f.path for f in report.warnings}
    assert "sources.yaml#nvidia-h100-datasheet" in labels
    assert "sources.yaml#amd-rocm-mi300-microarch" not in labels  # verified


def test_future_verification_date_is_invalid():
    report = audit_zoo(Zoo(), as_of=dt.date(2026, 1, 1))
    assert any(f.gate == "invalid-record" and "after the as-of date" in f.problem
               for f in report.errors)


def test_policy_namespace_rule_beats_kind_rule():
    policy = FreshnessPolicy(kinds={"industry_report": 730, "datasheet": 1095},
                             namespaces={"Infrastructure": 400, "Infrastructure.Grids": 100})
    assert policy.max_age_days(ProvenanceKind.INDUSTRY_REPORT, "Infrastructure.Grids.Poland.x")[0] == 100
    assert policy.max_age_days(ProvenanceKind.INDUSTRY_REPORT, "Infrastructure.Pricing.y")[0] == 400
    assert policy.max_age_days(ProvenanceKind.DATASHEET, "Hardware.Cloud.H100.z")[0] == 1095


def test_shipped_policy_covers_every_evidence_kind():
    policy = FreshnessPolicy.load()
    kinds = [kind for kind in ProvenanceKind if kind.evidence_backed]
    assert len(kinds) >= 3
    assert all(policy.kinds[kind.value] > 0 for kind in kinds), policy.kinds


# -- quality gates: consistency and plausibility ---------------------------------
def test_consistency_gate_fails_on_a_dangling_reference(package_copy):
    edit(data_dir(package_copy) / "Systems" / "Nodes" / "DGX_H100.yaml",
         "accelerator: Hardware.Cloud.H100", "accelerator: Hardware.Cloud.H1000")
    result = run_audit(package_copy)
    assert result.returncode == 1
    assert ("Systems.Nodes.DGX_H100.accelerator: [consistency] 'Hardware.Cloud.H1000' does not "
            "resolve to an entry") in result.stdout


def test_consistency_gate_fails_when_two_statements_disagree(package_copy):
    # The fabric entry now counts NVLink 4 as 900 GB/s each way; the H100 says 900 GB/s in total.
    edit(data_dir(package_copy) / "Systems" / "Fabrics" / "NVLink4.yaml",
         "direction: bidirectional_total", "direction: per_direction")
    result = run_audit(package_copy)
    assert result.returncode == 1
    line = next(l for l in result.stdout.splitlines() if "[consistency]" in l)
    assert line.startswith("Systems.Nodes.DGX_H100.scale_up_fabric: [consistency] "
                           "Systems.Fabrics.NVLink4 gives 900 GB/s per direction but "
                           "Hardware.Cloud.H100 lists 450 GB/s per direction")


def test_consistency_gate_checks_rack_arithmetic(package_copy):
    edit(data_dir(package_copy) / "Systems" / "Racks" / "Meta_GrandTeton_Rack.yaml",
         "accelerators_per_rack: 16", "accelerators_per_rack: 18")
    result = run_audit(package_copy)
    assert "[consistency] 18 accelerators, but 2 nodes x 8 per node = 16" in result.stdout


def test_consistency_gate_checks_two_flops_per_parameter(package_copy):
    edit(data_dir(package_copy) / "Models" / "Language" / "Llama3_8B.yaml",
         "flops_per_token: 15009849344 flop/token", "flops_per_token: 16060522496 flop/token")
    result = run_audit(package_copy)  # 2 N, which counts the input embedding lookup
    assert result.returncode == 1
    assert ("Models.Language.Llama3_8B.flops_per_token: [consistency] 1.606e+10 FLOP/token, but "
            "2 x (parameters - vocab_size x hidden_dim) (untied embeddings) = 1.501e+10") in result.stdout


def test_consistency_gate_checks_keys_of_hardware_keyed_groups(package_copy):
    # A purchase price filed under a name no Hardware entry has would never be read.
    edit(data_dir(package_copy) / "Infrastructure" / "PurchasePrices.yaml", "\nH100:", "\nH100_SXM:")
    result = run_audit(package_copy)
    assert result.returncode == 1
    assert ("Infrastructure.PurchasePrices.H100_SXM: [consistency] 'H100_SXM' names no Hardware "
            "entry") in result.stdout


def test_plausibility_gate_catches_a_typo(package_copy):
    # The classic slip: a gaming card with 1111 TFLOP/s of dense fp16.
    path = data_dir(package_copy) / "Hardware" / "Workstation" / "RTX4090.yaml"
    text = path.read_text()
    import re

    text = re.sub(r"fp16: \{[^}]*\}", "fp16: {dense: 1111 TFLOP/s}", text, count=1)
    path.write_text(text)
    result = run_audit(package_copy)
    assert result.returncode == 1
    assert ("Hardware.Workstation.RTX4090.compute.peak.fp16.dense: [plausibility] 1111 TFLOP/s is "
            "outside the plausible range 1 TFLOP/s .. 1000 TFLOP/s") in result.stdout


def test_plausibility_gate_catches_a_unit_slip(package_copy):
    edit(data_dir(package_copy) / "Hardware" / "Cloud" / "H100.yaml",
         "capacity: 80 GB", "capacity: 80 MB")
    result = run_audit(package_copy)
    assert "Hardware.Cloud.H100.memory.capacity: [plausibility] 80 MB is outside" in result.stdout


def test_plausibility_gate_catches_a_water_unit_slip(package_copy):
    # Singapore's 1.97 L/kWh entered as if the source had said m3/MWh x 1000.
    edit(data_dir(package_copy) / "Infrastructure" / "Grids.yaml",
         "wue: 1.97 L/kWh", "wue: 1970 L/kWh")
    result = run_audit(package_copy)
    assert "Infrastructure.Grids.Singapore.wue: [plausibility] 1970 L/kWh is outside" in result.stdout


def test_plausibility_exceptions_need_a_reason_and_are_honoured():
    from mlsysim.lineage.plausibility import load_bounds

    bounds = load_bounds()
    excepted = {path: reason for b in bounds for path, reason in b.exceptions.items()}
    assert "Hardware.Cloud.CS3" in excepted and all(len(r) > 20 for r in excepted.values())
    report = audit_zoo(Zoo(), as_of=AS_OF)
    assert not [f for f in report.findings if f.gate in ("plausibility", "consistency")]


def test_a_verified_copy_in_url_fails_the_copy_source_gate(package_copy):
    sources = data_dir(package_copy) / "sources" / "nvidia_apple_hardware.yaml"
    edit(sources, "  url: https://www.nvidia.com/en-us/data-center/a100/\n  evidence_url:", "  url:")
    result = run_audit(package_copy)
    assert result.returncode == 1
    [line] = [line for line in error_lines(result) if "[copy-source]" in line]
    assert line.startswith("sources.yaml#nvidia-a100-page-textcopy: [copy-source] url "
                           "https://github.com/ewyluda/")
    assert "name the primary source in url and move the copy to evidence_url" in line
