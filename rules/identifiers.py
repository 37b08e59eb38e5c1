"""Validate and normalise the identifiers found in pre-load files (plates, IDs, codes, dates)."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal


class IdentifierError(ValueError):
    """An identifier that fails its format or check digit.

    Carries a Chinese (``zh``) and an English (``en``) message.
    """

    def __init__(self, zh: str, en: str) -> None:
        # Both texts go into args so the exception survives pickling (worker processes).
        super().__init__(zh, en)
        self.zh = zh
        self.en = en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def _norm(value: str) -> str:
    # NFKC folds full-width letters/digits/punctuation and Roman numerals (Ⅱ → II) to ASCII.
    return unicodedata.normalize("NFKC", value).strip().upper()


def _squash(value: str) -> str:
    return "".join(_norm(value).split())


# --- Licence plates (GA 36-2018) -------------------------------------------------------------

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SEPARATORS = str.maketrans("", "", "·•・‧∙⋅.-")
_AUTHORITY = re.compile(r"[A-HJ-NP-Z]")
_SERIAL = re.compile(
    r"[A-HJ-NP-Z0-9]{5}"  # ordinary
    r"|[A-HJ-NP-Z0-9]{4}[挂学警]"  # trailer, learner, police
    r"|[A-HJK][A-HJ-NP-Z0-9][0-9]{4}"  # small new-energy
    r"|[0-9]{5}[DF]"  # large new-energy
)


def normalise_plate(value: str) -> str:
    """Fold width and case and drop spaces and separator dots (黑D·12345 → 黑D12345); no check."""
    return _squash(value).translate(_PLATE_SEPARATORS)


def check_plate(value: str) -> str:
    plate = normalise_plate(value)
    if not plate:
        raise IdentifierError("车牌号为空", "licence plate is empty")
    if plate[0] not in _PROVINCES:
        raise IdentifierError(
            f"车牌号省份简称无效（{plate[0]}）",
            f"licence plate province abbreviation is invalid ({plate[0]})",
        )
    if len(plate) < 2 or not _AUTHORITY.fullmatch(plate[1]):
        raise IdentifierError(
            "车牌号第二位应为发牌机关字母 A–Z（不含 I、O）",
            "licence plate 2nd character must be an authority letter A-Z (not I or O)",
        )
    if not _SERIAL.fullmatch(plate[2:]):
        raise IdentifierError(
            f"车牌号序号格式无效（{plate[2:]}）",
            f"licence plate serial is malformed ({plate[2:]}); expected 5 letters/digits "
            "without I/O, 4 plus 挂/学/警, or a 6-character new-energy serial",
        )
    return plate


def is_trailer_plate(plate: str) -> bool:
    return normalise_plate(plate).endswith("挂")


# --- Resident ID number (GB 11643-1999) -----------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


def check_id_number(value: str, *, today: date | None = None) -> str:
    """Validate an 18-character resident ID; `today` exists so tests can pin the clock."""
    number = _squash(value)
    if not _ID_FORMAT.fullmatch(number):
        raise IdentifierError(
            "身份证号应为 18 位：17 位数字加 1 位数字或 X",
            "ID number must be 18 characters: 17 digits then a digit or X",
        )
    if number[0] not in "12345678":
        raise IdentifierError(
            "身份证号地址码无效（首位应为 1–8）",
            "ID number region code is invalid (first digit must be 1-8)",
        )
    born = _to_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if born is None or born.year < 1900 or born > (today or date.today()):
        raise IdentifierError(
            f"身份证号出生日期无效（{number[6:14]}）",
            f"ID number birth date is invalid ({number[6:14]})",
        )
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    expected = "10X98765432"[total % 11]
    if number[17] != expected:
        raise IdentifierError(
            f"身份证号校验位错误（应为 {expected}）",
            f"ID number check character is wrong (expected {expected})",
        )
    return number


# --- Unified social credit code (GB 32100-2015) ---------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# N (agriculture authority, rural collective organisations) is in the code table in practice.
_USCC_AUTHORITIES = "123456789ABCDEFGNY"


def check_uscc(value: str) -> str:
    code = _squash(value)
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        raise IdentifierError(
            "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）",
            "unified social credit code must be 18 digits/letters (no I, O, S, V, Z)",
        )
    if code[0] not in _USCC_AUTHORITIES:
        raise IdentifierError(
            f"统一社会信用代码登记管理部门代码无效（{code[0]}）",
            f"unified social credit code registration authority is invalid ({code[0]})",
        )
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        raise IdentifierError(
            f"统一社会信用代码校验位错误（应为 {expected}）",
            f"unified social credit code check character is wrong (expected {expected})",
        )
    return code


# --- UN number and CAS registry number ------------------------------------------------------

_UN = re.compile(r"(?:UN-?)?([0-9]{4})")
_DASHES = str.maketrans("‐‑‒–—−", "------")
_CAS = re.compile(r"([0-9]{2,7})-([0-9]{2})-([0-9])")


def check_un_number(value: str) -> str:
    match = _UN.fullmatch(_squash(value))
    if not match:
        raise IdentifierError(
            f"UN 编号格式无效（{value.strip()}）：应为 4 位数字，可带 UN 前缀",
            f"UN number is malformed ({value.strip()}): expected 4 digits, optionally UN-prefixed",
        )
    return match.group(1)


def check_cas(value: str) -> str:
    match = _CAS.fullmatch(_squash(value).translate(_DASHES))
    # Some lists zero-pad the first group to 7 digits; the registry form has no leading zeros.
    first = match.group(1).lstrip("0") if match else ""
    if not match or len(first) < 2:
        raise IdentifierError(
            f"CAS 号格式无效（{value.strip()}）：应为 NNNNNNN-NN-N",
            f"CAS number is malformed ({value.strip()}): expected NNNNNNN-NN-N",
        )
    digits = first + match.group(2)
    expected = sum(i * int(d) for i, d in enumerate(reversed(digits), start=1)) % 10
    if int(match.group(3)) != expected:
        raise IdentifierError(
            f"CAS 号校验位错误（应为 {expected}）",
            f"CAS number check digit is wrong (expected {expected})",
        )
    return f"{first}-{match.group(2)}-{match.group(3)}"


# --- ADR tank codes (ADR 4.3.3.1.1 / 4.3.4.1.1) ---------------------------------------------

_TANK_LIQUID = re.compile(r"([LS])(G|1\.5|2\.65|4|10|15|21)([ABCD])([VFNH])(\(\+\))?")
_TANK_GAS = re.compile(r"([CPR])(X|22|[0-9]+(?:\.[0-9]+)?)([BCD])([NH])(\(M\))?")


@dataclass(frozen=True, slots=True)
class TankCode:
    family: Literal["liquid_solid", "gas"]
    tank_type: str
    pressure: str
    openings: str
    valves: str
    suffix: str | None

    def __str__(self) -> str:
        return f"{self.tank_type}{self.pressure}{self.openings}{self.valves}{self.suffix or ''}"


def parse_tank_code(code: str) -> TankCode:
    text = _squash(code).replace(",", ".")
    liquid = _TANK_LIQUID.fullmatch(text)
    if liquid:
        return TankCode("liquid_solid", *liquid.group(1, 2, 3, 4, 5))
    gas = _TANK_GAS.fullmatch(text)
    if gas and gas.group(1) == "R" and gas.group(4) == "H":
        raise IdentifierError(
            f"罐体代码无效（{text}）：冷冻液化气体罐体（R）不能为 H",
            f"tank code is invalid ({text}): refrigerated-gas tanks (R) cannot be H",
        )
    if gas:
        return TankCode("gas", *gas.group(1, 2, 3, 4, 5))
    raise IdentifierError(
        f"罐体代码格式无效（{text}）",
        f"tank code is malformed ({text}); expected e.g. L4BN, SGAV, P22DH(M)",
    )


def check_tank_code(value: str) -> str:
    return str(parse_tank_code(value))


# --- VIN (GB 16735 / ISO 3779) --------------------------------------------------------------

_VIN_LETTERS = zip("ABCDEFGHJKLMNPRSTUVWXYZ", "12345678123457923456789", strict=True)
_VIN_VALUES = {c: int(v) for c, v in _VIN_LETTERS} | {str(d): d for d in range(10)}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_vin(value: str, *, check_digit: bool = True) -> str:
    """Validate a VIN; pass check_digit=False for imported vehicles whose 9th character is free."""
    vin = _squash(value)
    if len(vin) != 17:
        raise IdentifierError(
            f"车辆识别代号应为 17 位（实际 {len(vin)} 位）",
            f"VIN must be 17 characters (got {len(vin)})",
        )
    if any(c not in _VIN_VALUES for c in vin):
        raise IdentifierError(
            "车辆识别代号只能含数字和字母（不含 I、O、Q）",
            "VIN may contain only digits and letters (no I, O or Q)",
        )
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    expected = "X" if remainder == 10 else str(remainder)
    if check_digit and vin[8] != expected:
        raise IdentifierError(
            f"车辆识别代号第 9 位校验位错误（应为 {expected}）",
            f"VIN check digit (9th character) is wrong (expected {expected})",
        )
    return vin


# --- Packing group, dates, list cells -------------------------------------------------------

_PACKING_GROUP = re.compile(r"(?:PG|包装类别)?(I{1,3}|[123])类?")


def check_packing_group(value: str) -> str:
    match = _PACKING_GROUP.fullmatch(_squash(value))
    if not match:
        raise IdentifierError(
            f"包装类别无效（{value.strip()}）：应为 I、II 或 III",
            f"packing group is invalid ({value.strip()}): expected I, II or III",
        )
    group = match.group(1)
    return "I" * int(group) if group.isdigit() else group


_FULL_DATE = re.compile(
    r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})|([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?"
)
# No "YYYY.MM": a spreadsheet number 2025.10 stringifies to "2025.1" and would read as January.
_YEAR_MONTH = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})|([0-9]{4})年([0-9]{1,2})月")


def _to_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_year_month_or_date(value: str) -> date:
    """Parse a date; a year-month alone means the last day of that month (validity end dates)."""
    text = _squash(value)
    result: date | None = None
    if full := _FULL_DATE.fullmatch(text):
        y, _, m, d, cy, cm, cd = full.groups()
        result = _to_date(int(y or cy), int(m or cm), int(d or cd))
    elif ym := _YEAR_MONTH.fullmatch(text):
        y, m, cy, cm = ym.groups()
        year, month = int(y or cy), int(m or cm)
        if 1 <= year and 1 <= month <= 12:
            result = date(year, month, calendar.monthrange(year, month)[1])
    if result is None:
        raise IdentifierError(
            f"日期无效（{value.strip()}）：应为 YYYY-MM-DD、YYYY年MM月DD日"
            "或 YYYY-MM 等形式的真实日期",
            f"date is invalid ({value.strip()}): expected a real date as YYYY-MM-DD, "
            "YYYY/MM/DD, YYYY.MM.DD, YYYY年MM月DD日, or a month as YYYY-MM, YYYY/MM, YYYY年MM月",
        )
    return result


_LIST_SEPARATORS = re.compile(r"[;；、]")


def split_list(value: str) -> list[str]:
    return [item.strip() for item in _LIST_SEPARATORS.split(value) if item.strip()]
