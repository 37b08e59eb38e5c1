"""The ADR 7.5.2 tables: label rows, compatibility groups, footnotes, and that blank means no."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.mixing import GENERAL
from rules.mixing import Package
from rules.mixing import clash
from rules.mixing import package
from rules.mixing import table_row

LABELS = ["1", "1.4", "1.5", "1.6", "2.1", "2.3", "3", "4.1", "4.2", "4.3", "5.1", "5.2", "6.1",
          "6.2", "7X", "8", "9", "9A", "Z"]
CLASS_1_CODES = [f"1.{d}{g}" for d in "1456" for g in "ABCDEFGHJLNS"]


def explosive(un: str, code: str) -> Package:
    label = code[:3] if code[:3] in {"1.4", "1.5", "1.6"} else "1"
    return package(un, [label], "1", code)


def other(un: str, *labels: str) -> Package:
    return package(un, labels, labels[0], None)


@st.composite
def packages(draw: st.DrawFn) -> Package:
    if draw(st.booleans()):
        return explosive(draw(st.sampled_from(["0081", "0012", "0503"])),
                         draw(st.sampled_from(CLASS_1_CODES)))
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=3))
    return other(draw(st.sampled_from(["1203", "3268", "2990", "3221"])), *labels)


@given(packages(), packages())
def test_the_table_is_symmetric(a: Package, b: Package) -> None:
    assert (clash(a, b) is None) == (clash(b, a) is None)


@pytest.mark.parametrize("row", sorted(GENERAL))
@pytest.mark.parametrize("other_row", sorted(GENERAL))
def test_labels_outside_class_1_mix_freely(row: str, other_row: str) -> None:
    assert clash(other("1203", row), other("1830", other_row)) is None


@pytest.mark.parametrize(("label", "row"), [
    ("2.1", "2"), ("2.3", "2"), ("7A", "7"), ("7X", "7"), ("9A", "9"), ("1.1", "1"), ("1", "1"),
    ("1.4", "1.4"), (" 6.1 ", "6.1"),
])
def test_labels_map_to_their_table_row(label: str, row: str) -> None:
    assert table_row(label) == row


def test_an_explosive_subsidiary_label_makes_its_own_row() -> None:
    assert package("3221", ["4.1", "1"], "4.1", "SR1").rows == {"4.1+1"}
    assert package("3101", ["5.2", "1", "8"], "5.2", "P1").rows == {"5.2+1", "8"}
    assert clash(package("3221", ["4.1", "1"], "4.1", None), other("1203", "3")) == ("4.1+1", "3")
    peroxide = package("3101", ["5.2", "1"], "5.2", "P1")
    assert clash(package("3221", ["4.1", "1"], "4.1", None), peroxide) == ("4.1+1", "5.2+1")
    assert clash(package("3222", ["4.1", "1"], "4.1", None), other("3221", "4.1")) == (
        "4.1+1", "4.1")
    assert clash(peroxide, package("3102", ["5.2", "1"], "5.2", "P1")) is None
    assert clash(peroxide, other("3105", "5.2")) is None  # 5.2+1 with other organic peroxides
    assert clash(peroxide, other("3105", "5.2", "8")) == ("5.2+1", "8")


def test_two_class_1_packages_go_by_group_whatever_their_other_labels() -> None:
    toxic = package("0077", ["1", "6.1"], "1", "1.3C")
    assert clash(toxic, package("0081", ["1"], "1", "1.1D")) is None
    assert clash(toxic, package("0129", ["1"], "1", "1.1A")) == ("1.3C", "1.1A")
    assert clash(toxic, other("1203", "3")) == ("1.3C", "3")


@pytest.mark.parametrize("row", sorted(GENERAL - {"9"}))
def test_class_1_goes_with_other_labels_only_as_1_4s(row: str) -> None:
    assert clash(explosive("0012", "1.4S"), other("1203", row)) is None
    for code in ("1.4C", "1.1D", "1.5D", "1.6N"):
        assert clash(explosive("0081", code), other("1203", row)) == (code, row)


@pytest.mark.parametrize(("un", "code", "other_un", "allowed"), [
    ("0081", "1.1D", "2990", True),   # b: life-saving appliances
    ("0081", "1.1D", "3072", True),
    ("0503", "1.4G", "3268", True),   # c: safety devices
    ("0081", "1.1D", "3268", False),
    ("0081", "1.1D", "3480", False),  # lithium batteries: no footnote
])
def test_class_1_with_class_9_by_footnote(un: str, code: str, other_un: str,
                                         allowed: bool) -> None:
    assert (clash(explosive(un, code), other(other_un, "9")) is None) is allowed


@pytest.mark.parametrize(("code", "other_code", "same_un", "allowed"), [
    ("1.1A", "1.1A", False, True),
    ("1.1A", "1.1D", False, False),
    ("1.1B", "1.1D", False, False),  # only in approved separate compartments
    ("1.1C", "1.2G", False, True),
    ("1.1D", "1.5D", False, True),
    ("1.1E", "1.4S", False, True),
    ("1.3F", "1.1D", False, False),
    ("1.3F", "1.4S", False, True),
    ("1.1J", "1.1J", False, True),
    ("1.3L", "1.3L", True, True),
    ("1.3L", "1.3L", False, False),  # L only with the same substance
    ("1.3L", "1.4S", False, False),
    ("1.1A", "1.4S", False, False),
    ("1.6N", "1.6N", False, False),  # different kinds of N need test evidence
    ("1.6N", "1.1D", False, False),
    ("1.6N", "1.4S", False, True),
])
def test_explosives_together_by_compatibility_group(code: str, other_code: str, same_un: bool,
                                                    allowed: bool) -> None:
    a = explosive("0001", code)
    b = explosive("0001" if same_un else "0002", other_code)
    assert (clash(a, b) is None) is allowed
    assert (clash(b, a) is None) is allowed


def test_class_1_without_a_classification_code_is_kept_apart() -> None:
    unplaced = package("0081", ["1"], "1", None)
    assert clash(unplaced, explosive("0082", "1.1D")) == ("1", "1.1D")
    assert clash(unplaced, unplaced) == ("1", "1")


def test_a_label_the_table_does_not_know_is_kept_apart() -> None:
    assert clash(other("9999", "Z"), other("1203", "3")) == ("Z", "3")
    assert clash(other("9999", "Z"), other("9999", "Z")) == ("Z", "Z")
