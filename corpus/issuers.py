"""Who issued a document, as far as its jurisdiction goes: national bodies, and the region a 文号 prefix names.

The State Council, its general office, the ministries and commissions, and the national regulators (人民银行,
金融监管总局, 证监会, 税务总局 …) issue for the whole country: 全国. Their local branches name their place
("国家金融监督管理总局浙江监管局", "中国人民银行河南省分行", "国家税务总局杭州市税务局") and are read by the
gazetteer first, so they are never taken for national bodies.

A 文号 opens with its issuer's abbreviation: "国发", "国办发", "国函" are the State Council's; "财税", "银发",
"证监发", "金规" are ministries' and regulators'; "浙政办发", "豫政", "粤府" a province's (浙, 豫, 粤 …).
"""

from __future__ import annotations

import re

_NATIONAL_PREFIX = re.compile(r"^(国务院|国家|中国|中华人民共和国|中共中央|中央|全国人|全国政协|最高人民)")
# Ministries, commissions and regulators, in the names and short names their documents are signed with.
_NATIONAL_NAMES = re.compile(
    r"^(外交部|国防部|教育部|科学技术部|科技部|工业和信息化部|工信部|公安部|安全部|民政部|司法部|财政部|"
    r"人力资源和社会保障部|人力资源社会保障部|人社部|自然资源部|生态环境部|住房和城乡建设部|住房城乡建设部|住建部|"
    r"交通运输部|水利部|农业农村部|农业部|商务部|文化和旅游部|文化部|卫生部|退役军人事务部|应急管理部|审计署|"
    r"海关总署|税务总局|市场监管总局|金融监管总局|证监会|银保监会|银监会|保监会|人民银行|发展改革委|国资委|"
    r"广电总局|体育总局|统计局|医保局|药监局|知识产权局|林草局|能源局|烟草专卖局|邮政局|铁路局|民航局|"
    r"中医药局|疾控局|外汇局|文物局|信访局|粮食和储备局|乡村振兴局|网信办|新闻出版署|宗教局)"
)
_NATIONAL_NUMBER = re.compile(
    r"^(国发|国办发|国函|国办函|国令|国办电|财税|财预|财金|财社|财建|财农|财行|财资|财会|财政部令|银发|银办发|"
    r"证监发|证监会令|金规|金发|金办发|银保监发|银保监规|发改|工信部|教[\u4e00-\u9fff]{0,2}〔|人社部|国卫|医保发|"
    r"税总|海关总署|商[\u4e00-\u9fff]{1,2}发|农[\u4e00-\u9fff]{1,2}发|建[\u4e00-\u9fff]{1,2}〔|交[\u4e00-\u9fff]{1,2}发|"
    r"司发|民发|公通字|环[\u4e00-\u9fff]{1,2}〔|自然资|市场监管|应急〔|水[\u4e00-\u9fff]{1,2}〔)"
)
# 文号 abbreviations of the provinces: "浙政办发" → 浙江省. Only the province is read from a 文号; a city's
# abbreviation (杭, 郑, 吉市) is too easily another place's.
PROVINCE_ABBREVIATIONS = {
    "京": "北京市", "津": "天津市", "冀": "河北省", "晋": "山西省", "内": "内蒙古自治区", "蒙": "内蒙古自治区",
    "辽": "辽宁省", "吉": "吉林省", "黑": "黑龙江省", "沪": "上海市", "苏": "江苏省", "浙": "浙江省",
    "皖": "安徽省", "闽": "福建省", "赣": "江西省", "鲁": "山东省", "豫": "河南省", "鄂": "湖北省",
    "湘": "湖南省", "粤": "广东省", "桂": "广西壮族自治区", "琼": "海南省", "渝": "重庆市", "川": "四川省",
    "黔": "贵州省", "云": "云南省", "滇": "云南省", "藏": "西藏自治区", "陕": "陕西省", "甘": "甘肃省",
    "青": "青海省", "宁": "宁夏回族自治区", "新": "新疆维吾尔自治区",
}  # fmt: skip
_PROVINCE_NUMBER = re.compile(r"^([\u4e00-\u9fff])(政|府|政办|府办|办)(发|函|字|电|规|〔)")


def is_national(issuer: str | None) -> bool:
    """A national body (the caller has checked that the name holds no place).

    >>> is_national("国务院办公厅"), is_national("财政部、税务总局"), is_national("自治区卫生健康委")
    (True, True, False)
    """
    if not issuer:
        return False
    first = re.split(r"[、，,\s]", issuer.strip(), maxsplit=1)[0]
    return bool(_NATIONAL_PREFIX.match(first) or _NATIONAL_NAMES.match(first))


def number_is_national(doc_number: str | None) -> bool:
    """ "国办发〔2024〕15号", "财税〔2023〕12号", "银发〔2024〕88号" → True."""
    return bool(doc_number and _NATIONAL_NUMBER.match(doc_number))


def number_province(doc_number: str | None) -> str | None:
    """The province a provincial government's 文号 names: "浙政办发〔2025〕11号" → 浙江省; others → None."""
    m = _PROVINCE_NUMBER.match(doc_number or "")
    return PROVINCE_ABBREVIATIONS.get(m.group(1)) if m else None
