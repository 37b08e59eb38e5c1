"""Parse business-scope lists (经营范围) and decide whether they cover a product."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rules.checks.base import norm_un
from rules.checks.base import product_divisions
from rules.model import ProductFacts

_CLASS = re.compile(r"[1-9](?:\.[1-6])?")
_CN_CLASS = re.compile(r"第?([1-9])类(?:第?([1-6])项)?")
_UN = re.compile(r"(?:UN)?([0-9]{4})")
_TOXIC = frozenset({"剧毒", "剧毒化学品", "剧毒品"})


@dataclass(frozen=True, slots=True)
class Scope:
    """A parsed scope: classes/divisions, UN numbers, the 剧毒 endorsement, unreadable items."""

    classes: frozenset[str]
    un_numbers: frozenset[str]
    toxic: bool
    unparsed: tuple[str, ...]


def parse_scope(items: Iterable[str]) -> Scope:
    """Read scope items such as "3", "2.1", "6", "第6类第1项", "剧毒", "UN1203" or "1203"."""
    classes: set[str] = set()
    uns: set[str] = set()
    toxic = False
    unparsed: list[str] = []
    for item in items:
        text = "".join(unicodedata.normalize("NFKC", item).upper().split())
        if not text:
            continue
        if text in _TOXIC:
            toxic = True
        elif _CLASS.fullmatch(text):
            classes.add(text)
        elif cn := _CN_CLASS.fullmatch(text):
            classes.add(cn.group(1) + (f".{cn.group(2)}" if cn.group(2) else ""))
        elif un := _UN.fullmatch(text):
            uns.add(un.group(1))
        else:
            unparsed.append(item)
    return Scope(frozenset(classes), frozenset(uns), toxic, tuple(unparsed))


def covers(scope: Scope, product: ProductFacts) -> bool:
    """Whether the scope covers the product.

    A class covers its divisions ("2" covers 2.1, "6" covers 6.1 and 6.2); a division covers only
    itself; a UN number covers that entry. A 剧毒 product additionally needs "剧毒" in the scope
    unless its UN number is listed explicitly (a permit naming the substance is specific enough).
    """
    listed = norm_un(product.un_number) in scope.un_numbers
    by_class = bool(scope.classes & product_divisions(product))
    if not (listed or by_class):
        return False
    return listed or scope.toxic or not product.highly_toxic
