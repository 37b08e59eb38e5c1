"""A curated UN number → Chinese name table for the goods a plant commonly loads."""

from __future__ import annotations

# Curated by hand, not derived from a data file: BAM's ADR table has German, English and French
# names only. The names follow the Chinese usage of GB 12268《危险货物品名表》and JT/T 617.3
# (the Chinese ADR Table A), shortened to the name printed on waybills and labels. One name
# covers every variant of its UN number (UN 1202 also covers gas oil and light heating oil).
# Add a UN number only with a name you can cite; everything else stays without a Chinese name.
NAMES_ZH: dict[str, str] = {
    # Gases (class 2)
    "1005": "氨（液氨）",
    "1011": "丁烷",
    "1017": "氯（液氯）",
    "1040": "环氧乙烷",
    "1050": "氯化氢（无水）",
    "1052": "氟化氢（无水）",
    "1053": "硫化氢",
    "1067": "四氧化二氮（二氧化氮）",
    "1075": "液化石油气",
    "1076": "光气（碳酰氯）",
    "1077": "丙烯",
    "1079": "二氧化硫",
    "1086": "氯乙烯（稳定的）",
    "1971": "压缩天然气（甲烷）",
    "1972": "液化天然气（甲烷，冷冻液体）",
    "1978": "丙烷",
    # Flammable liquids (class 3)
    "1090": "丙酮",
    "1093": "丙烯腈（稳定的）",
    "1114": "苯",
    "1120": "丁醇",
    "1145": "环己烷",
    "1170": "乙醇",
    "1173": "乙酸乙酯",
    "1193": "丁酮（甲乙酮）",
    "1202": "柴油",
    "1203": "汽油",
    "1208": "己烷",
    "1219": "异丙醇",
    "1223": "煤油",
    "1230": "甲醇",
    "1263": "涂料",
    "1267": "石油原油",
    "1294": "甲苯",
    "1307": "二甲苯",
    "1648": "乙腈",
    "2055": "苯乙烯（稳定的）",
    # Flammable solids, oxidizers (classes 4.1, 5.1)
    "1942": "硝酸铵",
    "2067": "硝酸铵基化肥",
    "2555": "硝化纤维素（含水）",
    "2556": "硝化纤维素（含醇）",
    "2557": "硝化纤维素混合物",
    "2014": "过氧化氢水溶液",
    # Toxic substances (class 6.1)
    "1547": "苯胺",
    "1593": "二氯甲烷",
    "1680": "氰化钾（固体）",
    "1689": "氰化钠",
    "1888": "三氯甲烷（氯仿）",
    "3414": "氰化钠溶液",
    # Corrosives (class 8)
    "1779": "甲酸",
    "1789": "盐酸",
    "1814": "氢氧化钾溶液",
    "1823": "氢氧化钠（固体）",
    "1824": "氢氧化钠溶液",
    "1830": "硫酸",
    "1831": "发烟硫酸",
    "2031": "硝酸",
    "2209": "甲醛溶液",
    "2672": "氨溶液（氨水）",
    "2789": "冰乙酸",
    # Miscellaneous (class 9)
    "3082": "对环境有害的液态物质，未另作规定的",
}


def name_zh(un_number: str) -> str | None:
    """The curated Chinese name of a UN number, or None when it is not in the table."""
    return NAMES_ZH.get(un_number)
