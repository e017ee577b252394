import datetime as dt
import pickle

import pytest
from pydantic import ValidationError

from mlsysim import Provenance, ProvenanceKind, Sourced, sourced, sourced_qty, ureg

SHEET = Provenance(kind="datasheet", ref="Vendor X datasheet", url="https://example.org/x.pdf",
                   verified="2026-01-15")


@pytest.mark.parametrize("kind", ["datasheet", "literature", "industry_report"])
def test_evidence_kinds_need_a_url(kind):
    with pytest.raises(ValidationError, match=f"a {kind} record needs a url"):
        Provenance(kind=kind, ref="Some source")


@pytest.mark.parametrize("kind", ["estimate", "derived"])
def test_estimates_and_derivations_need_notes(kind):
    with pytest.raises(ValidationError, match=f"a {kind} record needs notes"):
        Provenance(kind=kind, ref="guess", inputs=("A.B.C.d",) if kind == "derived" else ())


def test_derived_needs_inputs():
    with pytest.raises(ValidationError, match="needs inputs"):
        Provenance(kind="derived", ref="sum", notes="a + b")
    record = Provenance(kind="derived", ref="sum", notes="a + b", inputs=["A.B.C.x", "A.B.C.y"])
    assert record.inputs == ("A.B.C.x", "A.B.C.y")


def test_only_derived_names_inputs():
    with pytest.raises(ValidationError, match="only derived records name inputs"):
        Provenance(kind="estimate", ref="guess", notes="n", inputs=["A.B.C.x"])


@pytest.mark.parametrize("kind", ["convention", "illustrative", "heuristic"])
def test_light_kinds_need_only_a_ref(kind):
    assert Provenance(kind=kind, ref="By convention").kind is ProvenanceKind(kind)


def test_estimate_cannot_claim_verification():
    with pytest.raises(ValidationError, match="cannot be verified"):
        Provenance(kind="estimate", ref="guess", notes="n", verified="2026-01-01")


def test_evidence_without_verified_is_allowed_but_unverified():
    record = Provenance(kind="literature", ref="Paper", url="https://arxiv.org/abs/1")
    assert record.verified is None
    assert record.short().endswith("unverified")


@pytest.mark.parametrize("bad", ["2026-13-01", "15/01/2026", "yesterday", 20260115])
def test_malformed_dates_are_rejected(bad):
    with pytest.raises(ValidationError, match="ISO date YYYY-MM-DD"):
        Provenance(kind="datasheet", ref="x", url="https://x.org", verified=bad)


def test_blank_ref_and_bad_url_are_rejected():
    with pytest.raises(ValidationError, match="ref must name the source"):
        Provenance(kind="convention", ref="   ")
    with pytest.raises(ValidationError, match="url must start with https://"):
        Provenance(kind="datasheet", ref="x", url="www.example.org")


def test_records_are_frozen_and_strict():
    with pytest.raises(ValidationError):
        SHEET.ref = "changed"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Provenance(kind="convention", ref="x", source="y")


def test_sourced_is_a_float_with_provenance():
    mfu = Sourced(0.462, SHEET, "MFU", "PaLM MFU")
    assert mfu == 0.462 and isinstance(mfu, float)
    assert mfu.provenance.ref == "Vendor X datasheet"
    assert f"{mfu:.1%}" == "46.2%" and str(mfu) == "0.462"
    assert "Vendor X datasheet" in repr(mfu) and "verified 2026-01-15" in repr(mfu)


def test_arithmetic_drops_provenance():
    mfu = sourced(0.5, SHEET, name="MFU")
    for result in (mfu * 2, mfu + 1, -mfu, mfu / 3):
        assert type(result) is float
        assert not hasattr(result, "provenance")


def test_sourced_survives_pickling():
    mfu = sourced(0.5, SHEET, name="MFU")
    again = pickle.loads(pickle.dumps(mfu))
    assert again == 0.5 and again.provenance == SHEET and again.name == "MFU"


def test_sourced_qty_tags_a_copy_and_arithmetic_drops_it():
    base = ureg.Quantity(3.35, "TB/s")
    tagged = sourced_qty(base, SHEET, name="bandwidth")
    assert tagged.provenance is SHEET and tagged == base
    assert not hasattr(base, "provenance")
    assert not hasattr(tagged * 2, "provenance")
    assert sourced(80, SHEET, unit="GB").to("GB").magnitude == 80


def test_sourced_rejects_non_numbers():
    with pytest.raises(TypeError, match="needs a number"):
        sourced("0.5", SHEET)
    with pytest.raises(TypeError):
        sourced(True, SHEET)
