"""The customs code tables the CEB messages use, each with its source, and their canonical meaning.

Every lookup returns the canonical value or raises :class:`Refused` saying precisely why the code
has none: an unknown code is refused, never guessed. docs/messages.md lists the tables.
"""

from __future__ import annotations

from decimal import Decimal

from clearway.messages.cn.countries import CUSTOMS_COUNTRIES


class Refused(ValueError):
    """A value the adapter cannot map; ``detail`` says why, for the sender."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# Currency: every currency element of the import messages is ``fixed="142"`` in the 202205 and
# 2016 schemas ([XSD22], [XSD18]); 142 is the customs code of the renminbi ([CC-2]
# CustomsCurrencyCodeEnum: CNY("142", "人民币")). The other customs currency codes (110 HKD,
# 116 JPY, 300 EUR, 303 GBP, 502 USD) exist, but an import message may not carry them.
CURRENCY_CNY = "142"


def currency(code: str) -> str:
    """The ISO 4217 code of a CEB currency: only 142 (CNY)."""
    if code == CURRENCY_CNY:
        return "CNY"
    hint = ""
    if code in ("CNY", "156"):
        hint = f" ('{code}' is the ISO 4217 code; the customs code of the renminbi is 142)"
    elif code in ("110", "116", "300", "303", "502"):
        hint = f" ({code} is another customs currency code, which the import messages do not allow)"
    raise Refused(f"currency '{code}' is refused: the CEB import messages allow only 142, the renminbi (CNY){hint}")


# Codes of the customs country table that name no single ISO 3166-1 country, with their meaning
# ([CC-1] and [CC-3] agree on each; the continents 100...600 are in [CC-3] only).
NOT_A_COUNTRY: dict[str, str] = {
    "100": "Asia",
    "199": "other Asian countries (regions)",
    "200": "Africa",
    "207": "the Canary Islands, which ISO 3166-1 does not code apart from Spain",
    "210": "Ceuta, which ISO 3166-1 does not code apart from Spain",
    "256": "Melilla, which ISO 3166-1 does not code apart from Spain",
    "299": "other African countries (regions)",
    "300": "Europe",
    "349": "Yugoslavia / Serbia and Montenegro, which no longer exist (358 is Serbia, 359 Montenegro)",
    "399": "other European countries (regions)",
    "400": "Latin America",
    "438": "Saint Martin, which ISO 3166-1 codes as two territories (MF, SX)",
    "449": "the Netherlands Antilles, dissolved in 2010 (417 is Curaçao, 409 Bonaire)",
    "499": "other Latin American countries (regions)",
    "500": "North America",
    "599": "other North American countries (regions)",
    "600": "Oceania",
    "699": "other countries (regions) of Oceania",
    "701": "country (region) unknown",
    "702": "the United Nations and international organisations",
    "999": "the country of origin of neutral packaging",
}


def country(code: str) -> str:
    """The ISO 3166-1 alpha-2 code of a customs country code (``116`` -> ``JP``)."""
    iso = CUSTOMS_COUNTRIES.get(code)
    if iso is not None:
        return iso
    if code in NOT_A_COUNTRY:
        raise Refused(f"country '{code}' means {NOT_A_COUNTRY[code]}: it names no single country")
    if len(code) == 3 and code.isascii() and code.isalpha():
        raise Refused(
            f"country '{code}' is not a customs country code: the CEB messages use the customs"
            " table's 3-digit codes (142 China, 116 Japan, 304 Germany, 502 United States)"
        )
    raise Refused(f"country '{code}' is not a code of the customs country table (docs/messages.md lists the codes)")


# Units of measure (JGS-20 计量单位代码): the codes and Chinese names are from [HXT] (ryanrong95/HXT
# DeclarationBase.cs, enum BaseUnit); 007 and 035 also appear in the official samples [SMP]. The
# canonical unit is short free text ("pcs" by default): the counting classifiers (个, 件, 只 ...)
# all count pieces, so they become "pcs"; the others keep what they measure.
UNITS: dict[str, str] = {
    "001": "pcs",  # 台 (machines)
    "006": "set",  # 套
    "007": "pcs",  # 个
    "008": "pcs",  # 只
    "010": "pcs",  # 张 (sheets)
    "011": "pcs",  # 件
    "012": "pcs",  # 支 (sticks, tubes)
    "014": "pcs",  # 根
    "015": "pcs",  # 条
    "016": "pcs",  # 把
    "017": "pcs",  # 块
    "020": "pcs",  # 片
    "025": "pair",  # 双
    "026": "pair",  # 对
    "030": "m",  # 米
    "032": "m2",  # 平方米
    "035": "kg",  # 千克
    "036": "g",  # 克
    "095": "l",  # 升
    "096": "ml",  # 毫升
    "120": "case",  # 箱
    "122": "can",  # 罐
    "125": "pack",  # 包
    "132": "pcs",  # 本 (books)
    "134": "pcs",  # 枚
    "136": "bag",  # 袋
    "140": "box",  # 盒
    "142": "bottle",  # 瓶
    "163": "pcs",  # 部 (devices)
}
# Units whose quantity is a weight, in kilograms per unit: a first legal quantity (qty1) in one of
# these gives an item's net weight.
KILOGRAMS_PER_UNIT = {"035": Decimal(1), "036": Decimal("0.001")}


def unit(code: str) -> str:
    """The canonical unit of a customs unit code (``122`` -> ``can``)."""
    try:
        return UNITS[code]
    except KeyError:
        raise Refused(f"unit '{code}' is not a unit code this adapter maps (docs/messages.md lists them)") from None


# Transport modes (JGS-20 运输方式代码). Two public copies of the table agree: a Java map
# ``Constants.TRAFMODE`` (code index id 1584479221: 0 非保税区, 1 监管仓库, 2 江海运输, 3 铁路运输,
# 4 汽车运输, 5 航空运输, 6 邮件运输, 7 保税区, 8 保税仓库, 9 其它运输, H W X Y Z zones) and a PHP form
# (code index id 3516868951); [TM] confirms 2, 4 and 5. Only the means of transport have a canonical
# mode; the other codes name a zone or warehouse the goods leave, not how they travel.
TRANSPORT_MODES: dict[str, str] = {"2": "sea", "3": "rail", "4": "road", "5": "air", "6": "post"}
NOT_A_TRANSPORT_MODE: dict[str, str] = {
    "0": "非保税区, the non-bonded area",
    "1": "监管仓库, a supervised warehouse",
    "7": "保税区, a bonded zone",
    "8": "保税仓库, a bonded warehouse",
    "9": "其它运输, other transport",
    "A": "全部运输, all transport",
    "H": "边境特殊, a special border area",
    "W": "物流中心, a logistics centre",
    "X": "物流园区, a logistics park",
    "Y": "保税港区, a bonded port area",
    "Z": "出口加工, an export processing zone",
}


def transport_mode(code: str) -> str:
    """The canonical transport mode of a customs transport mode code (``5`` -> ``air``)."""
    mode = TRANSPORT_MODES.get(code)
    if mode is not None:
        return mode
    if code in NOT_A_TRANSPORT_MODE:
        raise Refused(
            f"trafMode '{code}' ({NOT_A_TRANSPORT_MODE[code]}) names no means of transport: Clearway needs"
            " 2 (water), 3 (rail), 4 (road), 5 (air) or 6 (post)"
        )
    raise Refused(f"trafMode '{code}' is not a code of the customs transport mode table")


# Identity documents (buyerIdType, payerIdType): 1 = 居民身份证, the PRC resident identity card;
# 2 = other. The schema annotation limits both to 1 ("限定为身份证，填写“1”", [XSD22]). The canonical
# id_type names the document as the other jurisdictions do ("resident_id", "passport").
def id_type(code: str) -> str:
    if code == "1":
        return "resident_id"
    raise Refused(
        f"identity document type '{code}' is refused: the schema allows only 1, the PRC resident identity card"
    )
