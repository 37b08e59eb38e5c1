"""Tests for rules.identifiers, cross-checked against small reference implementations."""

from __future__ import annotations

import pickle
import random
from datetime import date

import pytest

from rules.identifiers import IdentifierError
from rules.identifiers import TankCode
from rules.identifiers import check_cas
from rules.identifiers import check_id_number
from rules.identifiers import check_packing_group
from rules.identifiers import check_plate
from rules.identifiers import check_tank_code
from rules.identifiers import check_un_number
from rules.identifiers import check_uscc
from rules.identifiers import check_vin
from rules.identifiers import is_trailer_plate
from rules.identifiers import normalise_plate
from rules.identifiers import parse_tank_code
from rules.identifiers import parse_year_month_or_date
from rules.identifiers import split_list

TODAY = date(2025, 6, 1)

# --- Reference implementations, written from the standards' definitions rather than tables ---


def ref_id_check(first17: str) -> str:
    # ISO 7064 MOD 11-2: weight of position i (from the left, 0-based) is 2**(17 - i) mod 11.
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_uscc_check(first17: str) -> str:
    # GB 32100: weights are 3**i mod 31.
    total = 0
    for i, c in enumerate(first17):
        total += USCC_CHARS.find(c) * pow(3, i, 31)
    return USCC_CHARS[(31 - total % 31) % 31]


def ref_vin_check(vin: str) -> str:
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    total = 0
    for c, w in zip(vin, weights, strict=True):
        if c.isdigit():
            value = int(c)
        else:
            # A..R run 1..9 cyclically; from S on the cycle is shifted by one (S = 2).
            idx = ord(c) - ord("A")
            value = idx % 9 + 1 if idx < 18 else (idx + 1) % 9 + 1
        total += value * w
    return "X" if total % 11 == 10 else str(total % 11)


def ref_cas_check(digits: str) -> int:
    total = 0
    position = 1
    for d in digits[::-1]:
        total += position * int(d)
        position += 1
    return total % 10


def with_id_check(first17: str) -> str:
    return first17 + ref_id_check(first17)


def with_uscc_check(first17: str) -> str:
    return first17 + ref_uscc_check(first17)


def raises_with(func: object, value: str, zh: str, en: str) -> None:
    assert callable(func)
    with pytest.raises(IdentifierError) as info:
        func(value)
    assert zh in info.value.zh, info.value.zh
    assert en in info.value.en, info.value.en


# --- IdentifierError ------------------------------------------------------------------------


def test_error_carries_both_languages() -> None:
    err = IdentifierError("身份证号校验位错误（应为 X）", "ID number check character is wrong")
    assert isinstance(err, ValueError)
    assert err.zh == "身份证号校验位错误（应为 X）"
    assert err.en == "ID number check character is wrong"
    assert str(err) == "身份证号校验位错误（应为 X） / ID number check character is wrong"


def test_error_survives_pickling() -> None:
    err = pickle.loads(pickle.dumps(IdentifierError("中", "en")))
    assert (err.zh, err.en, str(err)) == ("中", "en", "中 / en")


# --- Licence plates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("黑D12345", "黑D12345"),
        ("黑D·12345", "黑D12345"),
        (" 黑d•12345 ", "黑D12345"),
        ("黑 D 123 45", "黑D12345"),
        ("沪AＢ１２３４", "沪AB1234"),
        ("鲁QAB123", "鲁QAB123"),
        ("黑D6789挂", "黑D6789挂"),
        ("鲁Q·A567挂", "鲁QA567挂"),
        ("粤BD12345", "粤BD12345"),
        ("粤BF12345", "粤BF12345"),
        ("粤BDA1234", "粤BDA1234"),
        ("粤BA12345", "粤BA12345"),
        ("粤BK12345", "粤BK12345"),
        ("粤B12345D", "粤B12345D"),
        ("粤B12345F", "粤B12345F"),
        ("京A0000警", "京A0000警"),
        ("京A1234学", "京A1234学"),
        ("琼E·88888", "琼E88888"),
    ],
)
def test_plate_valid(raw: str, expected: str) -> None:
    assert check_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("", "为空", "empty"),
        ("  ·  ", "为空", "empty"),
        ("XX12345", "省份简称", "province"),
        ("台A12345", "省份简称", "province"),
        ("黑", "发牌机关", "authority letter"),
        ("黑I12345", "发牌机关", "authority letter"),
        ("黑O12345", "发牌机关", "authority letter"),
        ("黑112345", "发牌机关", "authority letter"),
        ("黑D1234", "序号", "serial"),
        ("黑D123456", "序号", "serial"),
        ("黑D12I45", "序号", "serial"),
        ("黑D12O45", "序号", "serial"),
        ("黑D123挂", "序号", "serial"),
        ("黑D6789挂挂", "序号", "serial"),
        ("粤BD1234A", "序号", "serial"),
        ("粤BL12345", "序号", "serial"),
        ("粤B1234D5", "序号", "serial"),
        ("粤B12345E", "序号", "serial"),
    ],
)
def test_plate_invalid(raw: str, zh: str, en: str) -> None:
    raises_with(check_plate, raw, zh, en)


def test_normalise_plate_does_not_validate() -> None:
    assert normalise_plate(" 黑d·12345 ") == "黑D12345"
    assert normalise_plate("xx-1") == "XX1"


@pytest.mark.parametrize(
    ("plate", "expected"),
    [("黑D6789挂", True), ("黑D·6789挂", True), ("黑D12345", False), ("京A0000警", False)],
)
def test_is_trailer_plate(plate: str, expected: bool) -> None:
    assert is_trailer_plate(plate) is expected


# --- Resident ID number ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),  # GB 11643-1999 example
        ("11010519491231002x", "11010519491231002X"),
        (" 11010519491231002X ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        (with_id_check("23010219800229123"), with_id_check("23010219800229123")),  # leap day
        (with_id_check("44030419900101001"), with_id_check("44030419900101001")),
        (with_id_check("81000019000101000"), with_id_check("81000019000101000")),  # 1900 is ok
        (with_id_check("51010220250601456"), with_id_check("51010220250601456")),  # born today
    ],
)
def test_id_number_valid(raw: str, expected: str) -> None:
    assert check_id_number(raw, today=TODAY) == expected


def test_id_number_examples_agree_with_reference() -> None:
    assert ref_id_check("11010519491231002") == "X"
    # The standard's other example: check digit correct, but born 1880, which we reject.
    assert ref_id_check("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("11010519491231002", "18 位", "18 characters"),
        ("11010519491231002X1", "18 位", "18 characters"),
        ("1101051949123100AX", "18 位", "18 characters"),
        ("1101051949123X0021", "18 位", "18 characters"),
        ("", "18 位", "18 characters"),
        (with_id_check("01010519491231002"), "地址码", "region code"),
        (with_id_check("91010519491231002"), "地址码", "region code"),
        (with_id_check("11010519490230002"), "出生日期", "birth date"),
        (with_id_check("11010519491301002"), "出生日期", "birth date"),
        (with_id_check("11010520250602002"), "出生日期", "birth date"),  # tomorrow
        ("440524188001010014", "出生日期", "birth date"),  # before 1900
        ("110105194912310021", "校验位错误（应为 X）", "check character is wrong (expected X)"),
        ("11010519491231002Y", "18 位", "18 characters"),
    ],
)
def test_id_number_invalid(raw: str, zh: str, en: str) -> None:
    with pytest.raises(IdentifierError) as info:
        check_id_number(raw, today=TODAY)
    assert zh in info.value.zh
    assert en in info.value.en


def test_id_number_future_check_uses_real_clock_by_default() -> None:
    assert check_id_number("11010519491231002X") == "11010519491231002X"
    with pytest.raises(IdentifierError):
        check_id_number(with_id_check("11010521000101002"))


def test_id_number_matches_reference_on_random_inputs() -> None:
    rng = random.Random(11643)
    for _ in range(300):
        birth = date(1900, 1, 1).toordinal() + rng.randrange(45000)
        first17 = (
            str(rng.randint(110000, 829999))
            + date.fromordinal(birth).strftime("%Y%m%d")
            + f"{rng.randrange(1000):03d}"
        )
        good = with_id_check(first17)
        assert check_id_number(good, today=TODAY) == good
        for wrong in set("0123456789X") - {good[-1]}:
            with pytest.raises(IdentifierError, match="校验位"):
                check_id_number(first17 + wrong, today=TODAY)


# --- Unified social credit code -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100M000100Y43", "91350100M000100Y43"),  # GB 32100-2015 example
        ("91110000600037341L", "91110000600037341L"),
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 91350100M000100Y43\t", "91350100M000100Y43"),
        (with_uscc_check("12100000400000000"), with_uscc_check("12100000400000000")),
        (with_uscc_check("52440300MJL000000"), with_uscc_check("52440300MJL000000")),
        (with_uscc_check("Y1110108MA01ABCDE"), with_uscc_check("Y1110108MA01ABCDE")),
        (with_uscc_check("N2330100MF0000000"), with_uscc_check("N2330100MF0000000")),
    ],
)
def test_uscc_valid(raw: str, expected: str) -> None:
    assert check_uscc(raw) == expected


def test_uscc_examples_agree_with_reference() -> None:
    assert ref_uscc_check("91350100M000100Y4") == "3"
    assert ref_uscc_check("91110000600037341") == "L"


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("91350100M000100Y4", "18 位", "18 digits/letters"),
        ("91350100M000100Y431", "18 位", "18 digits/letters"),
        ("91350100I000100Y43", "18 位", "18 digits/letters"),
        ("91350100O000100Y43", "18 位", "18 digits/letters"),
        ("91350100S000100Y43", "18 位", "18 digits/letters"),
        ("91350100V000100Y43", "18 位", "18 digits/letters"),
        ("91350100Z000100Y43", "18 位", "18 digits/letters"),
        ("91350100-000100Y43", "18 位", "18 digits/letters"),
        (with_uscc_check("01350100M000100Y4"), "登记管理部门", "registration authority"),
        (with_uscc_check("H1350100M000100Y4"), "登记管理部门", "registration authority"),
        ("91350100M000100Y44", "校验位错误（应为 3）", "expected 3"),
        ("91110000600037341K", "校验位错误（应为 L）", "expected L"),
    ],
)
def test_uscc_invalid(raw: str, zh: str, en: str) -> None:
    raises_with(check_uscc, raw, zh, en)


def test_uscc_matches_reference_on_random_inputs() -> None:
    rng = random.Random(32100)
    for _ in range(300):
        first17 = rng.choice("159AY") + "".join(rng.choice(USCC_CHARS) for _ in range(16))
        good = with_uscc_check(first17)
        assert check_uscc(good) == good
        wrong = USCC_CHARS[(USCC_CHARS.index(good[-1]) + 1) % 31]
        with pytest.raises(IdentifierError, match="校验位"):
            check_uscc(first17 + wrong)


# --- UN number ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["1203", "UN1203", "UN 1203", "un1203", " UN-1203 ", "ＵＮ１２０３", "UN\u30001203"],
)
def test_un_number_valid(raw: str) -> None:
    assert check_un_number(raw) == "1203"


@pytest.mark.parametrize("raw", ["", "UN", "123", "12034", "UN12034", "UNX203", "U1203", "-1203"])
def test_un_number_invalid(raw: str) -> None:
    raises_with(check_un_number, raw, "UN 编号", "UN number")


# --- CAS registry number --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7732-18-5", "7732-18-5"),  # water
        ("67-56-1", "67-56-1"),  # methanol
        ("7664-41-7", "7664-41-7"),  # ammonia
        ("143-33-9", "143-33-9"),  # sodium cyanide
        ("0007732-18-5", "7732-18-5"),
        (" 7732 - 18 - 5 ", "7732-18-5"),
        ("７７３２－１８－５", "7732-18-5"),
        ("7732–18–5", "7732-18-5"),
    ],
)
def test_cas_valid(raw: str, expected: str) -> None:
    assert check_cas(raw) == expected


@pytest.mark.parametrize("cas", ["7732-18-5", "67-56-1", "7664-41-7", "143-33-9"])
def test_cas_examples_agree_with_reference(cas: str) -> None:
    head, middle, check = cas.split("-")
    assert ref_cas_check(head + middle) == int(check)


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("7732-18-4", "校验位错误（应为 5）", "expected 5"),
        ("67-56-2", "校验位错误（应为 1）", "expected 1"),
        ("7732185", "格式无效", "malformed"),
        ("7-18-5", "格式无效", "malformed"),
        ("0007-18-5", "格式无效", "malformed"),
        ("12345678-18-5", "格式无效", "malformed"),
        ("7732-1-5", "格式无效", "malformed"),
        ("7732-18-55", "格式无效", "malformed"),
        ("", "格式无效", "malformed"),
    ],
)
def test_cas_invalid(raw: str, zh: str, en: str) -> None:
    raises_with(check_cas, raw, zh, en)


def test_cas_exactly_one_check_digit_passes() -> None:
    rng = random.Random(7732)
    for _ in range(200):
        head = str(rng.randint(10, 9_999_999))
        middle = f"{rng.randrange(100):02d}"
        passing = []
        for digit in range(10):
            try:
                passing.append(check_cas(f"{head}-{middle}-{digit}"))
            except IdentifierError:
                pass
        assert passing == [f"{head}-{middle}-{ref_cas_check(head + middle)}"]


# --- ADR tank codes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("LGBF", "LGBF"),
        ("L4BN", "L4BN"),
        ("L10CH", "L10CH"),
        ("SGAN", "SGAN"),
        ("SGAV", "SGAV"),
        ("L21DH", "L21DH"),
        ("L4BN(+)", "L4BN(+)"),
        ("L1,5BN", "L1.5BN"),
        ("l2,65bn", "L2.65BN"),
        (" L 4 B N ( + ) ", "L4BN(+)"),
        ("Ｌ４ＢＮ", "L4BN"),
        ("P22DH(M)", "P22DH(M)"),
        ("p22dh(m)", "P22DH(M)"),
        ("C22BN", "C22BN"),
        ("PxBN(M)", "PXBN(M)"),
        ("P10,5BN", "P10.5BN"),
        ("RxBN", "RXBN"),
        ("R22DN", "R22DN"),
    ],
)
def test_tank_code_valid(raw: str, expected: str) -> None:
    assert check_tank_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("L1,5BN", TankCode("liquid_solid", "L", "1.5", "B", "N", None)),
        ("SGAV", TankCode("liquid_solid", "S", "G", "A", "V", None)),
        ("L4BH(+)", TankCode("liquid_solid", "L", "4", "B", "H", "(+)")),
        ("P22DH(M)", TankCode("gas", "P", "22", "D", "H", "(M)")),
        ("CxBN", TankCode("gas", "C", "X", "B", "N", None)),
    ],
)
def test_parse_tank_code(raw: str, expected: TankCode) -> None:
    parsed = parse_tank_code(raw)
    assert parsed == expected
    assert parse_tank_code(str(parsed)) == parsed


def test_tank_code_is_frozen_and_hashable() -> None:
    code = parse_tank_code("L4BN")
    with pytest.raises(AttributeError):
        code.valves = "H"  # type: ignore[misc]
    assert len({code, parse_tank_code("l4bn")}) == 1


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("L5BN", "格式无效", "malformed"),
        ("LGBX", "格式无效", "malformed"),
        ("P22AH", "格式无效", "malformed"),
        ("LGEN", "格式无效", "malformed"),
        ("X4BN", "格式无效", "malformed"),
        ("L4BNN", "格式无效", "malformed"),
        ("L4BN(M)", "格式无效", "malformed"),
        ("P22DH(+)", "格式无效", "malformed"),
        ("P22DV", "格式无效", "malformed"),
        ("", "格式无效", "malformed"),
        ("R22BH", "不能为 H", "cannot be H"),
        ("RxDH", "不能为 H", "cannot be H"),
    ],
)
def test_tank_code_invalid(raw: str, zh: str, en: str) -> None:
    raises_with(check_tank_code, raw, zh, en)


# --- VIN ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1M8GDM9AXKP042788", "1M8GDM9AXKP042788"),  # ISO 3779 / 49 CFR 565 worked example
        ("1HGCM82633A004352", "1HGCM82633A004352"),
        ("1m8gdm9axkp042788", "1M8GDM9AXKP042788"),
        (" LSVAU218XN2183294 ", "LSVAU218XN2183294"),
    ],
)
def test_vin_valid(raw: str, expected: str) -> None:
    assert check_vin(raw) == expected


def test_vin_examples_agree_with_reference() -> None:
    assert ref_vin_check("1M8GDM9AXKP042788") == "X"
    assert ref_vin_check("1HGCM82633A004352") == "3"
    assert ref_vin_check("LSVAU2180N2183294") == "X"


def test_vin_check_digit_can_be_skipped_for_imports() -> None:
    with pytest.raises(IdentifierError, match="应为 8"):
        check_vin("WP0ZZZ99ZTS392124")
    assert check_vin("WP0ZZZ99ZTS392124", check_digit=False) == "WP0ZZZ99ZTS392124"
    with pytest.raises(IdentifierError, match="17"):
        check_vin("WP0ZZZ99ZTS39212", check_digit=False)


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        ("1M8GDM9AXKP04278", "17 位", "17 characters (got 16)"),
        ("1M8GDM9AXKP0427880", "17 位", "17 characters (got 18)"),
        ("", "17 位", "17 characters (got 0)"),
        ("1M8GDM9AXKP04278I", "不含 I、O、Q", "no I, O or Q"),
        ("1M8GDM9AXKPO42788", "不含 I、O、Q", "no I, O or Q"),
        ("1M8GDM9AXKPQ42788", "不含 I、O、Q", "no I, O or Q"),
        ("1M8GDM9A-KP042788", "不含 I、O、Q", "no I, O or Q"),
        ("1M8GDM9A1KP042788", "校验位错误（应为 X）", "expected X"),
        ("LSVAU2180N2183294", "校验位错误（应为 X）", "expected X"),
    ],
)
def test_vin_invalid(raw: str, zh: str, en: str) -> None:
    raises_with(check_vin, raw, zh, en)


def test_vin_matches_reference_on_random_inputs() -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    rng = random.Random(16735)
    for _ in range(300):
        chars = [rng.choice(alphabet) for _ in range(17)]
        chars[8] = "0"
        check = ref_vin_check("".join(chars))
        chars[8] = check
        assert check_vin("".join(chars)) == "".join(chars)
        chars[8] = "X" if check != "X" else "0"
        with pytest.raises(IdentifierError, match="校验位"):
            check_vin("".join(chars))


# --- Packing group --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I", "I"),
        ("II", "II"),
        ("III", "III"),
        ("ii", "II"),
        ("1", "I"),
        ("2", "II"),
        ("3", "III"),
        ("Ⅰ", "I"),
        ("Ⅱ", "II"),
        ("Ⅲ", "III"),
        ("PG II", "II"),
        ("pg iii", "III"),
        ("PG3", "III"),
        ("II类", "II"),
        ("包装类别Ⅲ", "III"),
        (" ２ ", "II"),
    ],
)
def test_packing_group_valid(raw: str, expected: str) -> None:
    assert check_packing_group(raw) == expected


@pytest.mark.parametrize("raw", ["", "IV", "IIII", "4", "0", "PG", "PG IV", "II III", "一"])
def test_packing_group_invalid(raw: str) -> None:
    raises_with(check_packing_group, raw, "包装类别", "packing group")


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-05", date(2025, 3, 5)),
        ("2025/03/05", date(2025, 3, 5)),
        ("2025.03.05", date(2025, 3, 5)),
        ("2025年03月05日", date(2025, 3, 5)),
        ("2025年3月5日", date(2025, 3, 5)),
        ("2025年3月5", date(2025, 3, 5)),
        ("2025-3-5", date(2025, 3, 5)),
        (" 2025 年 3 月 5 日 ", date(2025, 3, 5)),
        ("２０２５－０３－０５", date(2025, 3, 5)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2025-02", date(2025, 2, 28)),
        ("2024-02", date(2024, 2, 29)),
        ("2024/2", date(2024, 2, 29)),
        ("2025/04", date(2025, 4, 30)),
        ("2025年12月", date(2025, 12, 31)),
        ("1900年2月", date(1900, 2, 28)),
    ],
)
def test_parse_date_valid(raw: str, expected: date) -> None:
    assert parse_year_month_or_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "2025-02-30",
        "2025-13-01",
        "2025-13",
        "2025-00",
        "0000-01",
        "2025.03",  # ambiguous with a spreadsheet number; deliberately rejected
        "2025-03/05",
        "20250305",
        "25-03-05",
        "2025年13月",
        "2025-03-05 10:00",
    ],
)
def test_parse_date_invalid(raw: str) -> None:
    raises_with(parse_year_month_or_date, raw, "日期无效", "date is invalid")


# --- List cells -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a;b；c、d", ["a", "b", "c", "d"]),
        (" 甲醇 ; ; 乙醇 ;", ["甲醇", "乙醇"]),
        ("\u3000UN1203\u3000", ["UN1203"]),
        ("UN1203", ["UN1203"]),
        ("", []),
        ("；；、 ;", []),
    ],
)
def test_split_list(raw: str, expected: list[str]) -> None:
    assert split_list(raw) == expected
