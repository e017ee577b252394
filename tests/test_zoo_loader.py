"""The loader: nested lazy namespaces, short names, and errors that name file, entry and field."""

import subprocess
import sys
import textwrap

import pint
import pytest

import mlsysim
from mlsysim.errors import AmbiguousNameError, UnknownNameError, ZooError
from mlsysim.zoo.namespace import ZooAttributeError
from mlsysim.zoo.registry import Zoo


def test_canonical_paths_resolve_to_frozen_entries():
    h100 = mlsysim.Hardware.Cloud.H100
    assert h100.path == "Hardware.Cloud.H100"
    assert isinstance(h100.memory.bandwidth, pint.Quantity)
    with pytest.raises(Exception):
        h100.name = "changed"


def test_scalar_namespace_gives_sourced_floats():
    mfu = mlsysim.Literature.Training.MfuHigh
    assert isinstance(mfu, mlsysim.Sourced) and 0 < mfu < 1
    assert mfu.provenance.ref.startswith("Chowdhery et al. (2022)")
    assert mfu.path == "Literature.Training.MfuHigh"


def test_namespace_iterates_sorts_and_reports_paths():
    cloud = mlsysim.Hardware.Cloud
    names = [entry.name for entry in cloud]
    assert len(names) == len(cloud) >= 6
    assert "Hardware.Cloud.H100" in cloud.paths()
    fastest = cloud.sorted_by("memory.bandwidth", reverse=True)
    bandwidths = [e.memory.bandwidth.to("GB/s").magnitude for e in fastest]
    assert bandwidths == sorted(bandwidths, reverse=True)
    # On-chip SRAM parts (Cerebras CS-3's 21 PB/s) outrun every HBM part.
    assert fastest[0].path == "Hardware.Cloud.CS3"
    kinds = [e.memory.type.split(" ")[0] for e in fastest if e.memory.bandwidth is not None]
    first_hbm = next(i for i, kind in enumerate(kinds) if kind.startswith("HBM"))
    assert set(kinds[:first_hbm]) <= {"SRAM"} and "SRAM" not in kinds[first_hbm:]
    assert sum(1 for _ in mlsysim.Hardware) == sum(len(g) for g in mlsysim.Hardware.groups.values())


def test_entries_lacking_the_sort_field_come_last():
    ordered = mlsysim.Hardware.Cloud.sorted_by("power.tdp")
    without = [entry.path for entry in ordered if entry.power.tdp is None]
    assert "Hardware.Cloud.TPUv5p" in without  # Google publishes no TDP for v5p
    assert [entry.path for entry in ordered[len(ordered) - len(without):]] == without


def test_unknown_attribute_suggests_close_matches():
    with pytest.raises(ZooAttributeError, match=r"Hardware.Cloud has no entry 'H1000'; did you mean .*H100"):
        mlsysim.Hardware.Cloud.H1000
    assert not hasattr(mlsysim.Hardware.Cloud, "H1000")
    with pytest.raises(AttributeError, match="Hardware has no group 'Clod'; did you mean Cloud"):
        mlsysim.Hardware.Clod


def test_short_names_resolve_for_the_cli():
    assert mlsysim.lookup("H100") == "Hardware.Cloud.H100"
    assert mlsysim.lookup("llama3_8b") == "Models.Language.Llama3_8B"
    assert mlsysim.lookup("Models.Language.GPT2") == "Models.Language.GPT2"


def test_unknown_short_name_lists_close_matches():
    with pytest.raises(UnknownNameError) as info:
        mlsysim.lookup("H10")
    assert "unknown name 'H10'" in str(info.value)
    assert "Hardware.Cloud.H100" in info.value.suggestions


def test_ambiguous_short_name_lists_every_candidate(zoo_data):
    (zoo_data / "Hardware" / "Cloud" / "GPT2.yaml").write_text(
        (zoo_data / "Hardware" / "Cloud" / "H100.yaml").read_text())
    with pytest.raises(AmbiguousNameError) as info:
        Zoo(zoo_data).lookup("GPT2")
    assert "Hardware.Cloud.GPT2" in str(info.value) and "Models.Language.GPT2" in str(info.value)


def test_resolve_full_number_paths():
    zoo = Zoo()
    bandwidth = zoo.resolve("Hardware.Cloud.H100.memory.bandwidth")
    assert bandwidth.to("TB/s").magnitude == pytest.approx(3.35)
    value, provenance = zoo.number("Hardware.Cloud.H100.compute.peak.fp16.dense")
    assert value.to("TFLOP/s").magnitude == pytest.approx(989.5)
    assert provenance.id == "nvidia-h100-page-textcopy"
    with pytest.raises(UnknownNameError, match="has no field 'memory.bandwith'"):
        zoo.resolve("Hardware.Cloud.H100.memory.bandwith")
    with pytest.raises(UnknownNameError, match="is not a number"):
        zoo.number("Hardware.Cloud.H100.memory.type")


def test_field_overrides_beat_the_entry_default():
    mi300x = mlsysim.Hardware.Cloud.MI300X
    assert mi300x.provenance_for("memory.bandwidth").id == "amd-rocm-mi300-microarch"
    assert mi300x.provenance_for("memory.capacity").id == "amd-mlperf-inference-v4.1-mi300x-system"
    assert mi300x.provenance_for("release_year").kind.value == "estimate"


def test_import_does_not_parse_the_zoo():
    code = textwrap.dedent("""
        import sys, mlsysim
        heavy = [m for m in ("yaml", "pydantic", "pint", "mlsysim.zoo.registry") if m in sys.modules]
        print(heavy)
        mlsysim.Hardware.Cloud.H100
        print("mlsysim.zoo.loader" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]


def test_groups_load_lazily():
    zoo = Zoo()
    hardware = zoo.namespace("Hardware")
    assert hardware.Cloud._loaded is None
    hardware.Cloud.H100
    assert hardware.Cloud._loaded is not None and hardware.Edge._loaded is None


# --- bad input: every error names file, entry and field ------------------------------

def _edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_duplicate_key_is_rejected(zoo_data):
    file = zoo_data / "Hardware" / "Cloud" / "H100.yaml"
    _edit(file, "release_year: 2022\n", "release_year: 2022\nrelease_year: 2023\n")
    with pytest.raises(ZooError) as info:
        Zoo(zoo_data).namespace("Hardware").Cloud.H100
    message = str(info.value)
    assert "H100.yaml" in message and "duplicate key 'release_year'" in message and "line" in message


def test_unknown_field_is_rejected(zoo_data):
    _edit(zoo_data / "Hardware" / "Cloud" / "H100.yaml", "vendor: NVIDIA\n", "vendor: NVIDIA\nvendr: x\n")
    with pytest.raises(ZooError) as info:
        Zoo(zoo_data).namespace("Hardware").Cloud.H100
    assert info.value.entry == "Hardware.Cloud.H100"
    assert info.value.field == "vendr" and "unknown field" in str(info.value)


def test_unknown_catalog_id_is_rejected_with_suggestion(zoo_data):
    _edit(zoo_data / "Hardware" / "Cloud" / "H100.yaml", "provenance: nvidia-h100-datasheet",
          "provenance: nvidia-h100-datashet")
    with pytest.raises(ZooError) as info:
        Zoo(zoo_data).namespace("Hardware").Cloud.H100
    message = str(info.value)
    assert "unknown source id 'nvidia-h100-datashet'" in message
    assert "did you mean nvidia-h100-datasheet" in message and info.value.field == "provenance"


def test_wrong_unit_is_rejected_with_field_path(zoo_data):
    _edit(zoo_data / "Hardware" / "Cloud" / "H100.yaml", "bandwidth: 3.35 TB/s", "bandwidth: 3.35 TB")
    with pytest.raises(ZooError) as info:
        Zoo(zoo_data).namespace("Hardware").Cloud.H100
    assert info.value.field == "memory.bandwidth"
    assert "3.35 TB has dimension [information], expected [information] / [time]" in str(info.value)


def test_integer_precision_must_be_in_ops(zoo_data):
    _edit(zoo_data / "Hardware" / "Cloud" / "H100.yaml", "int8: {dense: 1979 TOPS", "int8: {dense: 1979 TFLOP/s")
    with pytest.raises(ZooError, match=r"peak.int8.dense: .* write it in TOPS"):
        Zoo(zoo_data).namespace("Hardware").Cloud.H100


def test_malformed_date_is_rejected(zoo_data):
    _edit(zoo_data / "sources.yaml", "verified: 2026-11-22", "verified: 2026-22-11")
    zoo = Zoo(zoo_data)
    bad = [exc for exc in zoo.catalog.errors.values()]
    assert bad and "ISO date YYYY-MM-DD" in str(bad[0]) and "sources.yaml" in str(bad[0])


def test_gqa_heads_must_divide(zoo_data):
    _edit(zoo_data / "Models" / "Language" / "Llama3_8B.yaml", "kv_heads: 8", "kv_heads: 6")
    with pytest.raises(ZooError, match=r"heads \(32\) is not a multiple of kv_heads \(6\)"):
        Zoo(zoo_data).namespace("Models").Language.Llama3_8B


def test_field_provenance_must_name_a_real_field(zoo_data):
    _edit(zoo_data / "Hardware" / "Cloud" / "MI300X.yaml", "  power.tdp: amd", "  power.tpd: amd")
    with pytest.raises(ZooError, match="field_provenance names unknown field 'power.tpd'"):
        Zoo(zoo_data).namespace("Hardware").Cloud.MI300X


def test_flat_group_entries_resolve_by_short_path():
    assert mlsysim.Scenarios.SmartDoorbell.path == "Scenarios.Examples.SmartDoorbell"
    zoo = Zoo()
    assert zoo.lookup("Scenarios.SmartDoorbell") == "Scenarios.Examples.SmartDoorbell"
    assert zoo.lookup("Scenarios.SmartDoorbell.batch_size") == \
        "Scenarios.Examples.SmartDoorbell.batch_size"


def test_short_names_are_listed_without_loading_every_group(zoo_data):
    # A broken entry in one group does not stop short names resolving in the others; the
    # broken entry itself fails, naming the file, when it is used.
    from mlsysim.errors import ZooError

    vision = zoo_data / "Models" / "Vision" / "ResNet50.yaml"
    vision.write_text(vision.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")
    zoo = Zoo(zoo_data)
    assert zoo.lookup("H100") == "Hardware.Cloud.H100"
    assert not zoo.namespace("Models")["Vision"]._loaded, "lookup validated an unrelated group"
    assert zoo.lookup("ResNet50") == "Models.Vision.ResNet50"
    with pytest.raises(ZooError, match="ResNet50.yaml.*colour"):
        zoo.resolve("Models.Vision.ResNet50")
