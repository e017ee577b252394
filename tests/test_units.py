import pint
import pytest
from hypothesis import given, strategies as st
from pydantic import BaseModel, ValidationError

from mlsysim import ureg
from mlsysim.units import DIMENSIONS, parse_quantity, quantity_type


class Chip(BaseModel):
    bandwidth: quantity_type(DIMENSIONS["bandwidth"])
    peak: quantity_type(DIMENSIONS["flop_rate"])


@pytest.mark.parametrize("text", ["989 TFLOP/s", "989 TFLOPs", "989 TFLOPS", "0.989 PFLOP/s"])
def test_flop_rate_spellings_agree(text):
    assert parse_quantity(text).to("flop/s").magnitude == pytest.approx(989e12)


def test_plural_spelling_is_never_read_as_a_count(caplog):
    for text in ("5 TFLOPs", "5 GFLOPs", "5 TOPs"):
        assert "[time]" in str(parse_quantity(text).dimensionality)
    assert parse_quantity("5 TFLOP").dimensionality == ureg("1 flop").dimensionality
    assert "multiple results" not in caplog.text


def test_flop_is_its_own_dimension():
    assert ureg("1 TFLOP").dimensionality != ureg("1 TB").dimensionality
    assert ureg("1 TFLOP").dimensionality != ureg.dimensionless.dimensionality
    with pytest.raises(pint.DimensionalityError):
        ureg("1 TFLOP").to("TOP")


def test_tops_is_integer_ops_per_second():
    assert ureg("1979 TOPS").to("op/s").magnitude == pytest.approx(1.979e15)
    assert ureg("1979 TOPS").dimensionality != ureg("1979 TFLOPS").dimensionality


def test_decimal_and_binary_bytes_differ():
    assert ureg("80 GB").to("B").magnitude == 80e9
    assert ureg("80 GiB").to("B").magnitude == 80 * 2**30
    assert ureg("1 byte").to("bit").magnitude == 8


def test_own_units_exist():
    for text in ["7 token", "8e9 param", "3 sample", "30000 USD", "429 gCO2e/kWh"]:
        assert parse_quantity(text).magnitude > 0


def test_field_accepts_string_mapping_and_quantity():
    a = Chip(bandwidth="3.35 TB/s", peak="989 TFLOP/s")
    b = Chip(bandwidth={"value": 3.35, "unit": "TB/s"}, peak={"value": 989, "unit": "TFLOPs"})
    c = Chip(bandwidth=ureg.Quantity(3350, "GB/s"), peak=a.peak)
    for chip in (a, b, c):
        assert chip.bandwidth.to("GB/s").magnitude == pytest.approx(3350)
        assert chip.peak.to("TFLOP/s").magnitude == pytest.approx(989)
    dumped = a.model_dump()
    assert dumped["bandwidth"] == "3.35 TB / s"
    assert Chip(**dumped) == a  # the serialized form reads back to the same quantities


def test_wrong_dimension_names_field_value_and_expected():
    with pytest.raises(ValidationError) as info:
        Chip(bandwidth="80 GB", peak="989 TFLOP/s")
    error = info.value.errors()[0]
    assert error["loc"] == ("bandwidth",)
    assert "80 GB" in error["msg"]
    assert "[information] / [time]" in error["msg"]
    assert "has dimension [information]" in error["msg"]


def test_unknown_unit_is_a_clear_error():
    with pytest.raises(ValidationError) as info:
        Chip(bandwidth="3.35 TB/fortnight", peak="1 TFLOP/s")
    assert "cannot read '3.35 TB/fortnight' as a quantity" in str(info.value)


def test_mapping_needs_value_and_unit_keys():
    with pytest.raises(ValidationError) as info:
        Chip(bandwidth={"val": 3, "unit": "TB/s"}, peak="1 TFLOP/s")
    assert "needs keys 'value' and 'unit'" in str(info.value)


@given(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False))
def test_gigabytes_round_trip_through_gibibytes(value):
    quantity = ureg.Quantity(value, "GB")
    assert quantity.to("GiB").to("GB").magnitude == pytest.approx(value)
    assert quantity.to("GiB").magnitude == pytest.approx(value * 1e9 / 2**30)
