"""One number formatter (mlsysim.formatting) for traces, the CLI, the site, the appendix and
notebooks: hand-worked examples, properties, and the same H100 peak everywhere."""

import math

import pytest
from hypothesis import given, strategies as st

from mlsysim import formatting
from mlsysim.units import Quantity


@pytest.mark.parametrize("value, written", [
    (989.5, "989.5"), (3.35, "3.35"), (1979.0, "1979"), (131072, "131,072"), (0.462, "0.462"),
    (8.030261248, "8.03026"), (70553706496, "70,553,706,496"), (1.5e15, "1,500,000,000,000,000"),
    (0.30000000000000004, "0.3"), (3350.0000000000005, "3350"), (-0.0, "0"), (2.5e21, "2.5e21"),
])
def test_stated_keeps_the_sources_digits(value, written):
    assert formatting.stated(value) == written


@pytest.mark.parametrize("value, written", [
    (12345.6, "12,346"), (0.0001234567, "0.0001235"), (2.7649999999, "2.765"), (25.557, "25.56"),
    (367.4098197, "367.4"), (1e22, "1e22"), (1.234e-7, "1.234e-7"), (0.0, "0"), (7, "7"),
])
def test_computed_numbers_have_four_significant_digits(value, written):
    assert formatting.number(value) == written


@pytest.mark.parametrize("value, unit, written", [
    (989.5e12, "FLOP/s", "989.5 TFLOP/s"), (0.01234567, "s", "12.35 ms"), (3.35e12, "B/s", "3.35 TB/s"),
    (12345.0, "s", "12,345 s"), (0.0, "s", "0 s"), (float("nan"), "B", "unknown B"),
])
def test_si_prefix_for_traces(value, unit, written):
    assert formatting.si(value, unit) == written


def test_quantities_stated_and_computed():
    peak = Quantity(989.5, "TFLOP/s")
    assert formatting.stated_quantity(peak) == "989.5 TFLOP/s"
    assert formatting.quantity(peak.to("FLOP/s")) == "989.5 TFLOP/s"
    assert formatting.quantity(Quantity(0.25, "MWh")) == "250 kWh"


def test_h100_peak_reads_the_same_in_trace_cli_site_and_notebook():
    """The issue's example: one place printed 989.5, another 990."""
    import mlsysim
    from mlsysim.cli import app
    from typer.testing import CliRunner
    from mlsysim.site.pages import format_value

    h100 = mlsysim.Hardware.Cloud.H100
    peak = h100.compute.peak["fp16"].dense
    result = mlsysim.Engine.solve("Llama3_8B", "H100", batch_size=256, seq_len=2048)
    trace = " ".join(result.constraint_trace)
    assert "989.5 TFLOP/s" in trace and "990 TFLOP/s" not in trace
    assert format_value(peak) == ("989.5", "TFLOP/s")
    assert formatting.stated_quantity(peak) == "989.5 TFLOP/s"
    shown = CliRunner().invoke(app, ["show", "Hardware.Cloud.H100.compute.peak.fp16.dense"])
    assert "989.5 TFLOP/s" in shown.output
    assert "989.5 TFLOP/s" in h100._repr_markdown_()


finite = st.floats(min_value=-1e20, max_value=1e20, allow_nan=False).filter(
    lambda x: x == 0 or abs(x) >= 1e-6)


@given(finite)
def test_stated_round_trips_to_six_significant_digits(x):
    text = formatting.stated(x)
    assert "e" not in text
    back = float(text.replace(",", ""))
    assert math.isclose(back, x, rel_tol=5e-6, abs_tol=1e-300) or abs(x) < 1e-6


@given(st.integers(min_value=-10**18, max_value=10**18))
def test_integers_are_written_in_full_grouped_from_five_digits(n):
    text = formatting.stated(n)
    assert int(text.replace(",", "")) == n
    assert ("," in text) == (len(str(abs(n))) >= formatting.GROUP_MIN_DIGITS)


@given(finite)
def test_computed_numbers_keep_every_integer_digit(x):
    text = formatting.number(x).replace(",", "")
    integer_digits = len(str(int(abs(x)))) if abs(x) >= 1 else 1
    assert len(text.lstrip("-").partition(".")[0]) in (integer_digits, integer_digits + 1)  # 9999.7 -> 10000
    assert "e" not in text
    assert abs(float(text) - x) <= abs(x) * 5e-4 + 1e-12 or abs(float(text) - x) <= 0.5
