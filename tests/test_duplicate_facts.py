"""One fact, one home (issue 16): the same cited fact entered in two groups from two sources
is reported; different facts that happen to share a value are not."""

import datetime as dt

from hypothesis import given, strategies as st

from mlsysim.lineage.duplicates import duplicate_facts, name_words, overlap
from mlsysim.provenance import Provenance
from mlsysim.units import Quantity
from mlsysim.zoo.registry import Zoo
from mlsysim.zoo.scalar import ScalarEntry

PAPER = Provenance(kind="literature", ref="Llama 3 paper", url="https://arxiv.org/abs/2407.21783",
                   verified=dt.date(2026, 11, 22), id="paper")
NEWS = Provenance(kind="industry_report", ref="News report", url="https://example.com/news",
                  verified=dt.date(2026, 11, 22), id="news")


def test_words_of_a_key_hand_worked():
    assert name_words("Llama3_SnapshotDuration") == {"llama", "3", "snapshot", "duration"}
    assert name_words("Llama3SnapshotDuration") == name_words("Llama3_SnapshotDuration")
    assert overlap(name_words("AwsFleetWue2021"), name_words("MicrosoftFleetWue2021")) == 3 / 5


def test_the_llama3_window_entered_twice_is_found():
    found = list(duplicate_facts([
        ("Systems.Reliability.Llama3_SnapshotDuration", Quantity(54, "day"), PAPER),
        ("Ops.TrainingRunOverheads.Llama3SnapshotDuration", Quantity(54 * 24, "hour"), NEWS),
    ]))
    assert len(found) == 1 and found[0].gate == "duplicate-fact" and found[0].severity == "warning"
    both = f"{found[0].path} {found[0].problem}"
    assert "Systems.Reliability.Llama3_SnapshotDuration" in both
    assert "Ops.TrainingRunOverheads.Llama3SnapshotDuration" in both
    assert "paper vs news" in found[0].problem and "one home" in found[0].fix


def test_same_value_but_different_facts_or_same_source_are_not_duplicates():
    assert not list(duplicate_facts([  # different names
        ("ReferenceStats.Datacenter.AwsFleetWue2021", 0.18, PAPER),
        ("Literature.Other.MicrosoftFleetWue2021", 0.18, NEWS)]))
    assert not list(duplicate_facts([  # same source: one record cited twice is one home
        ("A.B.Llama3_Window", Quantity(54, "day"), PAPER),
        ("C.D.Llama3Window", Quantity(54, "day"), PAPER)]))
    assert not list(duplicate_facts([  # different values
        ("A.B.Llama3_Window", Quantity(54, "day"), PAPER),
        ("C.D.Llama3Window", Quantity(55, "day"), NEWS)]))
    assert not list(duplicate_facts([  # same group: siblings, not copies
        ("A.B.Llama3_Window", 1.0, PAPER), ("A.B.Llama3Window", 1.0, NEWS)]))


@given(st.text(alphabet="abcXYZ_123", min_size=1, max_size=12), st.text(alphabet="abcXYZ_123", min_size=1, max_size=12))
def test_overlap_is_symmetric_and_bounded(a, b):
    x, y = name_words(a), name_words(b)
    assert overlap(x, y) == overlap(y, x) and 0 <= overlap(x, y) <= 1


def test_the_shipped_zoo_has_no_fact_in_two_homes():
    zoo = Zoo()
    scalars = [(f"{rec.path}.{field}" if field else rec.path, value,
                rec.provenance_for(field or "value"))
               for group in zoo.groups() for rec in group.records().values()
               if isinstance(rec, ScalarEntry) for field, value in rec.numbers()]
    assert len(scalars) > 100
    assert [f.line() for f in duplicate_facts(scalars)] == []


def test_the_audit_reports_a_fact_entered_twice(zoo_data):
    from conftest import AS_OF
    from mlsysim.lineage.audit import audit_zoo

    lifecycle = zoo_data / "Ops" / "Lifecycle.yaml"
    lifecycle.write_text(lifecycle.read_text() + (
        "Llama3SnapshotDuration:\n  name: Llama 3 405B reliability window\n"
        "  description: Window over which Meta counted interruptions.\n  value: 54\n  unit: day\n"
        "  provenance: dcd-llama3-training-interruptions-2024\n"))
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF)
    found = [f for f in report.warnings if f.gate == "duplicate-fact"]
    assert [f.path for f in found] == ["Systems.Reliability.Llama3_SnapshotDuration"]
    assert "Ops.Lifecycle.Llama3SnapshotDuration" in found[0].problem
    assert not [f for f in report.errors if f.gate == "duplicate-fact"]
