"""Portable-tank instructions: a preorder by 4.2.5.2.6; substance-specific ones stand alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.portable import INSTRUCTIONS
from rules.portable import SAME_ONLY
from rules.portable import portable_code
from rules.portable import portable_satisfies

CODES = sorted(INSTRUCTIONS) + sorted(SAME_ONLY)
codes = st.sampled_from(CODES)


@given(codes)
def test_every_instruction_satisfies_itself(code: str) -> None:
    assert portable_satisfies(code, code)


@given(codes, codes, codes)
def test_standing_in_is_transitive(a: str, b: str, c: str) -> None:
    if portable_satisfies(a, b) and portable_satisfies(b, c):
        assert portable_satisfies(a, c)


def test_t1_is_met_by_every_general_instruction() -> None:
    assert all(portable_satisfies("T1", code) for code in INSTRUCTIONS)


@pytest.mark.parametrize(("required", "offered", "ok"), [
    ("T4", "T11", True),    # higher test pressure, same bottom openings
    ("T2", "T3", False),    # bottom openings of 6.7.2.6.2 are less strict than 6.7.2.6.3
    ("T7", "T6", False),
    ("T10", "T14", True),
    ("T14", "T13", False),  # no pressure-relief provision of 6.7.2.8.3
    ("T20", "T21", False),  # thicker shell, but no 6.7.2.8.3 relief
    ("T21", "T22", True),
    ("T22", "T23", False),
    ("T23", "T23", True),
    ("T50", "T22", False),
    ("T4", "T75", False),
])
def test_known_substitutions(required: str, offered: str, ok: bool) -> None:
    assert portable_satisfies(required, offered) is ok


@pytest.mark.parametrize(("text", "code"), [
    ("T4", "T4"), ("t 11", "T11"), ("T04", "T4"), ("T50", "T50"), ("(M)", None), ("T24", None),
    ("T99", None), ("LGBF", None), ("", None),
])
def test_reading_a_t_code(text: str, code: str | None) -> None:
    assert portable_code(text) == code
