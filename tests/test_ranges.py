"""Ranges (issue 16, item 4): a number its source gives as one range ("$25,000 to $30,000")
is one Zoo entry with ``range: {low, high}`` and one provenance record; Python gets a
SourcedRange, the site, appendix, CLI, notebooks and zoo.json write it as 25,000–30,000 USD
with one status, and the old ``...Low``/``...High`` paths resolve as aliases of its ends."""

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

import mlsysim
from conftest import AS_OF
from mlsysim.cli import app as cli_app
from mlsysim.errors import InputError, MlsysimError, UnknownNameError, ZooError
from mlsysim.formatting import RANGE_DASH, read_range, stated, stated_range
from mlsysim.lineage.audit import audit_zoo
from mlsysim.lineage.duplicates import duplicate_facts, group_and_name
from mlsysim.provenance import Provenance, SourcedRange, sourced_range
from mlsysim.units import Quantity
from mlsysim.zoo.registry import Zoo
from mlsysim.zoo.scalar import ScalarEntry

runner = CliRunner()

REPORT = Provenance(kind="industry_report", ref="A price report", url="https://example.com/r",
                    verified=dt.date(2026, 11, 22), id="report")
OTHER = Provenance(kind="industry_report", ref="Another report", url="https://example.com/o",
                   verified=dt.date(2026, 11, 22), id="other")

#: Every old Low/High path with the value its source statement gives (the numbers in the
#: source notes of mlsysim/zoo/data/sources/*.yaml, e.g. "from $25,000 to $30,000").
OLD_PATHS = {
    "Infrastructure.Pricing.H100PurchaseLow2023": Quantity(25000, "USD"),
    "Infrastructure.Pricing.H100PurchaseHigh2023": Quantity(30000, "USD"),
    "Infrastructure.Pricing.B200PurchaseLow2024": Quantity(30000, "USD"),
    "Infrastructure.Pricing.B200PurchaseHigh2024": Quantity(40000, "USD"),
    "Infrastructure.Pricing.MI300XPurchaseLow2024": Quantity(10000, "USD"),
    "Infrastructure.Pricing.MI300XPurchaseHigh2024": Quantity(15000, "USD"),
    "Infrastructure.Pricing.AnnualMaintenanceFractionLow": 0.10,
    "Infrastructure.Pricing.AnnualMaintenanceFractionHigh": 0.30,
    "Infrastructure.Capacity.UsDataCenterElectricity2028Low": Quantity(325, "TWh"),
    "Infrastructure.Capacity.UsDataCenterElectricity2028High": Quantity(580, "TWh"),
    "ReferenceStats.Datacenter.IndustryAveragePueRangeLow": 1.55,
    "ReferenceStats.Datacenter.IndustryAveragePueRangeHigh": 1.59,
    "ReferenceStats.MobilePower.SocPowerBudgetLow": Quantity(2.5, "W"),
    "ReferenceStats.MobilePower.SocPowerBudgetHigh": Quantity(3.5, "W"),
    "ReferenceStats.MobilePower.GpuPowerBudgetLow": Quantity(1.0, "W"),
    "ReferenceStats.MobilePower.GpuPowerBudgetHigh": Quantity(1.5, "W"),
    "Hardware.Tech.DramAccess64bEnergyLow": Quantity(1.3, "nJ"),
    "Hardware.Tech.DramAccess64bEnergyHigh": Quantity(2.6, "nJ"),
}


def entry(**fields):
    return ScalarEntry.model_validate({"name": "Test range", **fields})


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def findings(zoo_data, gate: str) -> list:
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF)
    return [f for f in report.findings if f.gate == gate]


# -- schema: what a range entry may say, and the messages when it says it wrong ---------------

def test_a_range_entry_validates_and_holds_both_ends():
    record = entry(range={"low": 25000, "high": 30000}, unit="USD")
    assert record.is_range and record.value is None
    assert dict(record.numbers()) == {"range.low": Quantity(25000, "USD"),
                                      "range.high": Quantity(30000, "USD")}


@pytest.mark.parametrize("fields, message", [
    ({"range": {"low": 30000, "high": 25000}, "unit": "USD"},
     "range low 30000 is above high 25000; write the smaller end as low"),
    ({"range": {"low": "25000 USD", "high": 30000}},
     "range low must be a number, got '25000 USD'; the unit is the entry's own 'unit:'"),
    ({"range": {"low": True, "high": 3}}, "range low must be a number, got True"),
    ({"range": {"low": 1, "high": 2, "unit": "W"}},
     "range takes only low and high, got unit; the unit is the entry's own 'unit:'"),
    ({"range": {"low": 1}}, "range needs both ends, high missing"),
    ({"range": [1, 2]}, "range must be a mapping {low: x, high: y}, got [1, 2]"),
    ({"range": {"low": 1, "high": 2}, "value": 1.5}, "give exactly one of value (a number) and "
                                                     "range ({low: x, high: y}), got both"),
    ({}, "give exactly one of value (a number) and range ({low: x, high: y}), got neither"),
    ({"range": {"low": 1, "high": 2}, "bound": "upper"}, "bound: upper cannot qualify a range"),
    ({"value": 1, "aliases": {"low": "OldLow"}}, "aliases name the ends of a range"),
    ({"range": {"low": 1, "high": 2}, "aliases": {"low": "Old Low"}},
     "alias of the low end 'Old Low' is not an entry name"),
    ({"range": {"low": 1, "high": 2}, "aliases": {"low": "Same", "high": "Same"}},
     "the low and high ends need different alias names"),
])
def test_bad_range_entries_are_refused_with_the_reason(fields, message):
    with pytest.raises(ValidationError) as info:
        entry(**fields)
    assert message in str(info.value)


def test_a_bad_range_in_a_zoo_file_names_file_entry_and_field(zoo_data):
    edit(zoo_data / "Infrastructure" / "Pricing.yaml", "range: {low: 25000, high: 30000}",
         "range: {low: 30000, high: 25000}")
    with pytest.raises(ZooError) as info:
        Zoo(zoo_data).resolve("Infrastructure.Pricing.H100Purchase2023")
    error = info.value
    assert isinstance(error, MlsysimError)
    assert error.entry == "Infrastructure.Pricing.H100Purchase2023"
    assert error.file.endswith("Pricing.yaml") and error.field.startswith("range")
    assert "range low 30000 is above high 25000" in str(error)


# -- lineage gates on failing copies of the Zoo ------------------------------------------------

def test_gate_low_above_high_is_an_invalid_entry(zoo_data):
    edit(zoo_data / "ReferenceStats" / "MobilePower.yaml", "range: {low: 2.5, high: 3.5}",
         "range: {low: 3.5, high: 2.5}")
    [finding] = findings(zoo_data, "invalid-entry")
    assert finding.path == "ReferenceStats.MobilePower.SocPowerBudget"
    assert "range low 3.5 is above high 2.5" in finding.problem and finding.severity == "error"
    assert "low <= high" in finding.fix


def test_gate_an_alias_that_is_also_an_entry_is_refused(zoo_data):
    pricing = zoo_data / "Infrastructure" / "Pricing.yaml"
    pricing.write_text(pricing.read_text(encoding="utf-8") + (
        "H100PurchaseLow2023:\n  name: A second home for the low end\n  value: 25000\n"
        "  unit: USD\n  provenance: techspot-h100-price-raymond-james-2023\n"), encoding="utf-8")
    [finding] = findings(zoo_data, "invalid-entry")
    assert "alias 'H100PurchaseLow2023' is also an entry of Infrastructure.Pricing" in finding.problem
    assert "remove the entry H100PurchaseLow2023" in finding.fix


def test_gate_a_derivation_naming_an_alias_is_told_the_canonical_path(zoo_data):
    edit(zoo_data / "Infrastructure" / "PurchasePrices.yaml",
         "Infrastructure.Pricing.H100Purchase2023.range.low,",
         "Infrastructure.Pricing.H100PurchaseLow2023,")
    [finding] = findings(zoo_data, "dangling-reference")
    assert finding.path == "Infrastructure.PurchasePrices.H100"
    assert "is an alias of Infrastructure.Pricing.H100Purchase2023.range.low" in finding.problem
    assert finding.fix == "write Infrastructure.Pricing.H100Purchase2023.range.low"


def test_gate_a_derivation_naming_a_whole_range_is_told_its_ends(zoo_data):
    edit(zoo_data / "Infrastructure" / "PurchasePrices.yaml",
         "Infrastructure.Pricing.H100Purchase2023.range.low,", "Infrastructure.Pricing.H100Purchase2023,")
    [finding] = findings(zoo_data, "dangling-reference")
    assert "is a range, not one number" in finding.problem
    assert "Infrastructure.Pricing.H100Purchase2023.range.low" in finding.fix


def test_gate_a_midpoint_outside_its_range_is_inconsistent(zoo_data):
    # (25000 + 30000) / 2 = 27500; a slip to 32500 leaves the range 25,000-30,000.
    edit(zoo_data / "Infrastructure" / "PurchasePrices.yaml", "value: 27500", "value: 32500")
    [finding] = findings(zoo_data, "consistency")
    assert finding.path == "Infrastructure.PurchasePrices.H100"
    assert "derived from the range Infrastructure.Pricing.H100Purchase2023 (25000 to 30000)" \
        in finding.problem and "lies outside it" in finding.problem


def test_shipped_zoo_passes_with_ranges_and_no_alias_is_a_duplicate_fact():
    report = audit_zoo(Zoo(), as_of=AS_OF)
    assert not [f for f in report.findings if f.severity == "error"]
    assert not [f for f in report.findings if f.gate == "duplicate-fact"]


def test_duplicate_fact_still_sees_a_range_end_entered_twice():
    # The low end of a range, entered again in another group from another report under the
    # same words, is one fact in two homes: the gate is not weakened by ranges.
    found = list(duplicate_facts([
        ("Infrastructure.Pricing.H100Purchase2023.range.low", Quantity(25000, "USD"), REPORT),
        ("ReferenceStats.Prices.H100Purchase2023Low", Quantity(25, "kUSD"), OTHER),
    ]))
    assert [f.path for f in found] == ["ReferenceStats.Prices.H100Purchase2023Low"]


def test_range_ends_are_named_after_their_entry():
    assert group_and_name("Infrastructure.Pricing.H100Purchase2023.range.low") == \
        ("Infrastructure.Pricing", "H100Purchase2023_low")
    assert group_and_name("Literature.Training.MfuHigh") == ("Literature.Training", "MfuHigh")
    # Two ranges' low ends in one group are one group, so never each other's duplicate.
    assert not list(duplicate_facts([
        ("G.A.X.range.low", 1.0, REPORT), ("G.A.Y.range.low", 1.0, OTHER)]))


# -- Python: SourcedRange and the old paths ---------------------------------------------------

def test_the_range_is_one_object_with_one_record():
    price = mlsysim.Infrastructure.Pricing.H100Purchase2023
    assert isinstance(price, SourcedRange)
    low, high = price
    assert low == Quantity(25000, "USD") and high == Quantity(30000, "USD")
    assert low.provenance is price.provenance is high.provenance
    assert price.provenance.id == "techspot-h100-price-raymond-james-2023"
    assert low.path == "Infrastructure.Pricing.H100Purchase2023.range.low"
    # mid = (25000 + 30000) / 2 = 27500 USD; width = 30000 - 25000 = 5000 USD
    assert price.mid == Quantity(27500, "USD") and price.width == Quantity(5000, "USD")
    assert not hasattr(price.mid, "provenance") or price.mid.provenance is None
    assert price.contains(Quantity(27.5, "kUSD")) and Quantity(31, "kUSD") not in price
    assert str(price) == "25,000–30,000 USD"
    assert repr(price).startswith("<SourcedRange H100 purchase price, 2023 estimate = "
                                  "25,000–30,000 USD (industry_report: ")


def test_a_bare_number_is_refused_by_a_range_in_units():
    with pytest.raises(InputError, match=r"contains\(\) needs a quantity in USD .* got the bare "
                                         r"number 27000"):
        mlsysim.Infrastructure.Pricing.H100Purchase2023.contains(27000)
    with pytest.raises(InputError, match=r"contains\(\) got 3 W, which cannot be converted to "
                                         r"USD \(its ends' unit\); pass e.g. 25000 USD"):
        mlsysim.Infrastructure.Pricing.H100Purchase2023.contains(Quantity(3, "W"))


def test_a_unitless_range_and_pickling():
    pue = mlsysim.ReferenceStats.Datacenter.IndustryAveragePueRange
    assert (float(pue.low), float(pue.high)) == (1.55, 1.59)
    assert pue.contains(1.58) and not pue.contains(1.6)
    # mid = (1.55 + 1.59) / 2 = 1.57
    assert pue.mid == pytest.approx(1.57)
    again = pickle.loads(pickle.dumps(pue))
    assert again == pue and again.provenance == pue.provenance


@pytest.mark.parametrize("path, value", OLD_PATHS.items())
def test_old_low_high_paths_resolve_to_the_same_values(path, value):
    namespace, group, key = path.split(".")
    old = getattr(getattr(getattr(mlsysim, namespace), group), key)
    assert old == value
    end = "low" if "Low" in key else "high"
    canonical = Zoo().canonical(path)
    assert canonical.endswith(f".range.{end}") and old.path == canonical
    assert Zoo().resolve(path) == value and Zoo().number(path)[0] == value
    assert key in getattr(getattr(mlsysim, namespace), group)


def test_aliases_are_not_entries():
    pricing = mlsysim.Infrastructure.Pricing
    assert "H100PurchaseLow2023" not in pricing.keys() and "H100Purchase2023" in pricing.keys()
    assert "H100PurchaseLow2023" in dir(pricing)
    assert Zoo().aliases()["Infrastructure.Pricing.H100PurchaseLow2023"] == \
        "Infrastructure.Pricing.H100Purchase2023.range.low"
    assert Zoo().lookup("SocPowerBudgetHigh") == "ReferenceStats.MobilePower.SocPowerBudget.range.high"


def test_a_range_entry_has_no_single_quantity():
    record = Zoo().namespace("Infrastructure")["Pricing"].records()["H100Purchase2023"]
    with pytest.raises(UnknownNameError, match="Infrastructure.Pricing.H100Purchase2023 has no "
                                               "number 'value'; its numbers are range.low, range.high"):
        record.quantity()
    assert record.quantity("range.high") == Quantity(30000, "USD")


def test_gate_an_alias_repeating_its_entry_name_is_refused(zoo_data):
    edit(zoo_data / "Infrastructure" / "Pricing.yaml", "aliases: {low: H100PurchaseLow2023,",
         "aliases: {low: H100Purchase2023,")
    [finding] = findings(zoo_data, "invalid-entry")
    assert finding.path == "Infrastructure.Pricing.H100Purchase2023"
    assert "an alias repeats the entry's own name" in finding.problem


def test_a_range_path_is_not_one_number():
    with pytest.raises(UnknownNameError, match="is a range, not one number; its ends are "
                                               r"Infrastructure\.Pricing\.H100Purchase2023\.range\.low"):
        Zoo().number("Infrastructure.Pricing.H100Purchase2023")


def test_sourced_range_refuses_bad_ends():
    with pytest.raises(InputError, match="low 3 is above high 2; a range is written low first"):
        sourced_range(3, 2, REPORT)
    with pytest.raises(InputError, match="high must be a number, got '2 W'"):
        sourced_range(1, "2 W", REPORT)
    built = sourced_range(1, 2, REPORT, name="Budget", unit="W", path="X.Y.Budget")
    assert built.high.path == "X.Y.Budget.range.high" and built.low.name == "Budget (low end)"


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e9, 1e9, allow_nan=False), st.floats(0, 1e9, allow_nan=False))
def test_property_low_mid_high_ordered(low, width):
    rng = sourced_range(low, low + width, REPORT, unit="W")
    assert rng.low <= rng.mid <= rng.high
    assert rng.contains(rng.mid) and rng.contains(rng.low) and rng.contains(rng.high)


# -- formatting -----------------------------------------------------------------------------

def test_stated_range_hand_worked():
    assert stated_range(Quantity(25000, "USD"), Quantity(30000, "USD")) == "25,000–30,000 USD"
    assert stated_range(Quantity(1.3, "nJ"), Quantity(2.6, "nJ")) == "1.3–2.6 nJ"
    assert stated_range(0.1, 0.3) == "0.1–0.3"
    # Both ends keep their source digits (up to STATED_DIGITS = 6): 989.5 is never 990,
    # 1979.12 never 1979.
    assert stated_range(989.5, 1979.12) == "989.5–1979.12"
    # A negative end keeps a spaced dash so it does not read as a minus.
    assert stated_range(-5, -1) == "-5 – -1"
    # Ends in different units are written in the low end's unit: 1.5 kW = 1500 W.
    assert stated_range(Quantity(500, "W"), Quantity(1.5, "kW")) == "500–1500 W"
    assert stated_range(25000, 30000, group=False) == "25000–30000"


def test_read_range_refuses_a_single_number():
    with pytest.raises(ValueError, match="is not a range"):
        read_range("25,000 USD")


@settings(max_examples=80, deadline=None)
@given(st.floats(-1e12, 1e12, allow_nan=False), st.floats(0, 1e12, allow_nan=False))
def test_property_formatting_round_trip_keeps_order(low, width):
    high = low + width
    text = stated_range(Quantity(low, "USD"), Quantity(high, "USD"))
    assert text.count(RANGE_DASH) == 1
    read_low, read_high, unit = read_range(text)
    assert unit == "USD" and read_low <= read_high
    assert read_low == float(stated(low).replace(",", ""))
    assert read_high == float(stated(high).replace(",", ""))


# -- every place a range is shown: one value text, one status ---------------------------------

def test_cli_show_writes_one_range_with_one_status():
    result = runner.invoke(cli_app, ["show", "Infrastructure.Pricing.H100Purchase2023"])
    assert result.exit_code == 0, result.output
    assert "  range: 25,000–30,000 USD  [Verified]  industry_report: TechSpot" in result.output
    assert result.output.count("[Verified]") == 1
    assert "alias Infrastructure.Pricing.H100PurchaseLow2023 -> range.low" in result.output


def test_cli_show_says_an_old_path_is_an_alias():
    result = runner.invoke(cli_app, ["show", "H100PurchaseHigh2023"])
    assert result.exit_code == 0, result.output
    assert ("H100PurchaseHigh2023 is an alias of Infrastructure.Pricing.H100Purchase2023."
            "range.high: the high end of the range 25,000–30,000 USD") in result.output
    assert "range.high: 30,000 USD  [Verified]" in result.output


def test_cli_show_json_carries_the_range_and_aliases():
    result = runner.invoke(cli_app, ["show", "ReferenceStats.MobilePower.SocPowerBudget",
                                             "-o", "json"])
    data = json.loads(result.output)
    assert data["range"] == {"low": "2.5 W", "high": "3.5 W", "text": "2.5–3.5 W"}
    assert data["aliases"]["ReferenceStats.MobilePower.SocPowerBudgetLow"] == \
        "ReferenceStats.MobilePower.SocPowerBudget.range.low"
    alias = json.loads(runner.invoke(cli_app, ["show", "SocPowerBudgetLow", "-o",
                                                       "json"]).output)
    assert alias["alias_of"] == "ReferenceStats.MobilePower.SocPowerBudget.range.low"
    assert [n["value"] for n in alias["numbers"]] == ["2.5 W"]


def test_notebook_form_shows_one_range_and_one_badge():
    text = mlsysim.Hardware.Tech.DramAccess64bEnergy._repr_markdown_()
    assert text.startswith("**DRAM 64-bit access energy (45 nm era)** = 1.3–2.6 nJ · *")
    assert text.count(" · *") == 1


@pytest.fixture(scope="module")
def site_model():
    from mlsysim.site.pages import SiteModel

    return SiteModel(Zoo(), as_of=AS_OF)


def test_site_row_card_and_json_show_the_range_once(site_model):
    from mlsysim.site import render

    number = site_model.by_path["Infrastructure.Pricing.H100Purchase2023"]
    assert [n.field for e in site_model.entries if e["record"].path == number.entry_path
            for n in e["numbers"]] == ["range"]
    row = site_model.row(number, "zoo/Infrastructure/Pricing.md")
    assert (row["value"], row["unit"], row["badge"]["text"]) == \
        ("25,000–30,000", "USD", "Verified 2026-11-22")
    assert [a["anchor"] for a in row["aliases"]] == ["H100PurchaseLow2023", "H100PurchaseHigh2023"]
    row["card"], row["short"] = "cite-range", ""
    card = render._card(site_model, number, row, "zoo/Infrastructure/Pricing.md")
    assert card["value"] == "25,000–30,000" and card["badge"]["text"] == "Verified 2026-11-22"
    export = json.loads(render.export_json(site_model))
    [shown] = [n for e in export["entries"] if e["path"] == number.entry_path for n in e["numbers"]]
    assert shown["value"] == "25000–30000" and shown["number"] is None
    assert shown["range"] == {"low": "25000", "high": "30000",
                              "low_number": 25000.0, "high_number": 30000.0}
    assert shown["status"] == "Verified"


def test_site_derived_inputs_link_each_end(site_model):
    derived = site_model.by_path["Infrastructure.PurchasePrices.H100"]
    inputs = site_model.row(derived, "zoo/Infrastructure/PurchasePrices.md")["inputs"]
    assert [(i["path"].rpartition(".")[2], i["value"]) for i in inputs] == \
        [("low", "25,000 USD"), ("high", "30,000 USD")]
    assert inputs[0]["href"] == "Pricing.md#H100Purchase2023"


def test_site_table_page_has_one_row_one_badge_and_the_old_anchors(site_model):
    from mlsysim.site.render import render_docs

    page = render_docs(site_model)["zoo/Infrastructure/Pricing.md"]
    [line] = [line for line in page.splitlines() if "H100 purchase price, 2023 estimate" in line]
    assert "| 25,000–30,000 | USD |" in line
    assert line.count("{ .badge ") == 1 and "[Verified 2026-11-22]" in line
    assert '<span id="H100PurchaseLow2023"></span>' in line
    assert "`Infrastructure.Pricing.H100PurchaseLow2023` and " in line and ": aliases)" in line


def test_appendix_cell_is_one_range_with_one_status():
    from mlsysim.appendix import load_tables
    from mlsysim.appendix.render import build_view, render_tables
    from mlsysim.lineage.policy import FreshnessPolicy

    [table] = [t for t in load_tables() if t.id == "accelerator-purchase-prices"]
    view = build_view(table, Zoo(), as_of=AS_OF, policy=FreshnessPolicy.load())
    [cell] = view.rows[1].cells
    assert (cell.number, cell.high, cell.status.value) == ("25,000", "30,000", "Verified")
    files = render_tables([table], Zoo(), as_of=AS_OF)
    assert r"& \num{25000}--\num{30000}\zoomark{V} \\" in files["accelerator-purchase-prices.tex"]
    assert "| 25,000–30,000^V^ |" in files["accelerator-purchase-prices.qmd"]


def test_document_references_accept_aliases_and_range_api():
    from mlsysim.lineage.references import ReferenceIndex

    zoo = Zoo()
    loaded = {group.path: group.records() for group in zoo.groups()}
    index = ReferenceIndex.from_loaded(zoo, loaded)
    assert index.problem("Infrastructure.Pricing.H100PurchaseLow2023") is None
    assert index.problem("Infrastructure.Pricing.H100Purchase2023.mid") is None
    assert index.problem("Infrastructure.Pricing.H100Purchase2023.range.high") is None
    assert "does not resolve" in index.problem("Infrastructure.Pricing.H100PurchaseLow2024")[0]


def test_dumps_hold_only_what_the_entry_states():
    # zoo.json's "fields" of a value entry are as before ranges (no range: null, aliases: {});
    # a range entry has no value.
    records = Zoo().namespace("Infrastructure")["Pricing"].records()
    assert set(records["AwsP5GpuHour"].model_dump(mode="json")) == \
        {"name", "description", "value", "unit", "bound"}
    dumped = records["H100Purchase2023"].model_dump(mode="json")
    assert "value" not in dumped and dumped["range"] == {"low": 25000.0, "high": 30000.0}
    assert dumped["aliases"] == {"low": "H100PurchaseLow2023", "high": "H100PurchaseHigh2023"}


def test_comparison_cell_of_a_range(site_model):
    from mlsysim.site.render import _cell

    number = site_model.by_path["ReferenceStats.MobilePower.SocPowerBudget"]
    cell = _cell(site_model, number, {"unit": "W", "unit_name": "W"}, "zoo/index.md")
    assert cell["value"] == "2.5–3.5" and cell["badge"]["symbol"] == number.status.symbol
    # Sorted by the low end (2.5 W), not the high end (3.5 W).
    from mlsysim.site.pages import sort_key

    assert cell["sort"] == sort_key(Quantity(2.5, "W")) != sort_key(Quantity(3.5, "W"))
    assert _cell(site_model, number, {"unit": "mW", "unit_name": "mW"}, "x.md")["value"] == \
        "2.5–3.5 W"
