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


# ADR 4.2.5.2.5: the instructions also permitted for each one, as the regulation lists them.
ALSO_PERMITTED = {
    "T1": "T2-T22", "T2": "T4 T5 T7-T22", "T3": "T4-T22", "T4": "T5 T7-T22",
    "T5": "T10 T14 T19 T20 T22", "T6": "T7-T22", "T7": "T8-T22",
    "T8": "T9 T10 T13 T14 T19-T22", "T9": "T10 T13 T14 T19-T22", "T10": "T14 T19 T20 T22",
    "T11": "T12-T22", "T12": "T14 T16 T18 T19 T20 T22", "T13": "T14 T19-T22",
    "T14": "T19 T20 T22", "T15": "T16-T22", "T16": "T18 T19 T20 T22", "T17": "T18-T22",
    "T18": "T19 T20 T22", "T19": "T20 T22", "T20": "T22", "T21": "T22", "T22": "",
}


def _expand(listed: str) -> set[str]:
    out: set[str] = set()
    for part in listed.split():
        first, _, last = part.partition("-")
        low, high = int(first[1:]), int((last or first)[1:])
        out |= {f"T{n}" for n in range(low, high + 1)}
    return out


@pytest.mark.parametrize("required", sorted(ALSO_PERMITTED, key=lambda c: int(c[1:])))
def test_the_order_gives_exactly_the_listed_alternatives(required: str) -> None:
    allowed = {code for code in INSTRUCTIONS if code != required
               and portable_satisfies(required, code)}
    assert allowed == _expand(ALSO_PERMITTED[required])


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
