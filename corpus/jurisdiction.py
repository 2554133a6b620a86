"""Where a document is from, read from all the evidence a person reads, strongest first.

1. ``issuer``: the issuing body (title prefix, 版头, 落款, a record's field), the 文号 prefix (国办发 → 全国,
   浙政办发 → 浙江省);
2. ``table``: the 政府信息公开 table's 发文机关 (a web page's info block);
3. ``title``: the place that opens the title, or the one place it names ("关于调整台州市住房公积金…的通知");
   a national body opening it (国务院关于…);
4. ``addressee``: the 主送 line. "各省、自治区、直辖市人民政府，新疆生产建设兵团" is a national body's: 全国,
   whatever province it lists. "各市（州）、县（市、区）人民政府，省政府各部门" is a province's,
   "各区县（市）人民政府，市政府各部门" a city's, "各乡镇、县直各单位" a county's: the level, whose place the
   text's subject gives; a body the 主送 names by place ("厦门市住房公积金中心") gives it directly;
5. ``text``: the text's subject place. Mentions of places are weighed by where they stand (title, opening
   sentence, elsewhere), what surrounds them (an actor: "黄山市出台…", "宜昌明确…", "结合宜昌实际",
   "杭州住房公积金管理中心"; a citation inside 《》 counts little) and by 本市/我市/全市, 本县/全县, 本省/全省,
   which say the level of the place that speaks. The province with most weight is taken, then its city and
   county where they hold most of it. National actors (住房和城乡建设部, 中国人民银行, 国务院, 证监会 …) outside
   citations vote for 全国.

Abstains only where nothing names a place. ``evidence`` names the kind that decided; ``inferred`` is true for
the last two kinds (the document never says "I am X's").

>>> from corpus.gazetteer import Gazetteer
>>> r = JurisdictionReader(Gazetteer.bundled())
>>> r.from_text("近日，安徽省黄山市出台住房公积金系列惠民政策，……全市缴存职工……").jurisdiction
'安徽省/黄山市'
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property

from corpus.gazetteer import MUNICIPALITIES, Gazetteer, Place
from corpus.issuers import is_national

NATIONAL = "全国"

# 主送 lines that only a national body writes: 各省、自治区、直辖市…; 各省（自治区、直辖市）…
_NATIONAL_ADDRESSEE = re.compile(
    r"各省\s*[、，,（(]\s*自治区\s*[、，,]\s*直辖市|各省级|各省、市、自治区|各省、区、市|国务院各部委|"
    r"人民银行上海总部|各分行、营业管理部|各省会[（(]首府[)）]城市中心支行|各政策性银行|各国有(?:大型)?商业银行|"
    r"各股份制商业银行|各银保监局|各监管局|各证监局"
)
# the 主送 of a province's documents: its cities and its own departments
_PROVINCE_ADDRESSEE = re.compile(
    r"各(?:设区的?|地级以上|省辖|地级)?市(?:（州）|\(州\)|、州|州|（地）|、自治州|人民政府、)|各市、县|省政府各|省直|省[^，,、。]{0,6}各(?:处室|部门|直属)"
    r"|自治区(?:人民政府)?各|各盟市"
)
# a city's: its districts and counties, its own departments
_CITY_ADDRESSEE = re.compile(
    r"各(?:县|区)(?:（市）|\(市\)|（市、区）|\(市、区\)|、县|县|市区|（县、市）|\(县、市\)|、市)|市政府各|市直|市[^，,、。]{0,6}各(?:处室|部门|直属)"
    r"|各区人民政府|各县人民政府"
)
_COUNTY_ADDRESSEE = re.compile(r"各乡(?:镇|（镇）|\(镇\)|、镇)|各街道|[县区]政府各|[县区]直")

# national actors, outside a citation: a ministry, the State Council, a national meeting
NATIONAL_ACTOR = re.compile(
    r"(?:国务院|党中央|中共中央|中央经济工作会议|中央政治局|中央金融工作会议|全国人大|国新办|"
    r"住房和城乡建设部|住房城乡建设部|住建部|财政部|国家税务总局|税务总局|自然资源部|国家发展改革委|国家发改委|"
    r"中国人民银行|人民银行|央行|国家金融监督管理总局|金融监管总局|银保监会|证监会|"
    r"人力资源和社会保障部|人力资源社会保障部|国家统计局|国家卫生健康委|全国住房(?:和)?城乡建设工作会议|"
    r"全国人民代表大会|全国人大|全国性|全国政协"
    r")(?!门)(?![\u4e00-\u9fff（）()]{0,10}?(?:分行|支行|营业部|营业管理部|监管局|监管分局|监管支局|分局|总部|派出机构))"
)
# words that make a place the one who acts or speaks right after it
_ACTOR_AFTER = re.compile(
    r"^(?:[\u4e00-\u9fff]{0,10}?(?:人民政府|政府|住房和城乡建设局|住建局|住房城乡建设局|房产局|房管局|住房保障|"
    r"住房公积金|公积金|自然资源|财政局|发改委|委员会|管委会|管理委员会|中心|办公室|办公厅))|^(?:市|县|区|省)?"
    r"(?:出台|印发|发布|推出|召开|明确|宣布|下发|制定|实施|调整|优化|放宽|取消|再出|又出|新政|楼市|房地产|购房|买房|"
    r"人才|户籍|本地|市民|居民|市区|城区|主城区|中心城区|全市|全域)"
)
_ACTOR_BEFORE = re.compile(r"(?:结合|在|到|来|落户|留|支持在|据|经|关于|促进|推动|推进|加快|进一步)$")
_DATELINE = re.compile(r"(?:社|网|报|台|记者|电讯)\s*$")
_DATELINE_AFTER = re.compile(r"^\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*电")
_VENUE = re.compile(r"^[\u4e00-\u9fff]{0,3}?(?:举行|召开|举办|开幕|闭幕)")
_COUNTY_BEFORE = re.compile(r"(?:结合|据|经)$")  # "推进老城区老旧小区更新": 老城区 is a word there
_CITED = re.compile(r"《[^《》\n]{0,80}》|〔\d{4}〕\d+号|\[\d{4}\]\d+号")
# first-person words of the body that speaks: 我市, 本县, 全省 (not 市区 or 县域, which anyone writes)
_SPEAKER = {
    "city": re.compile(r"本市|我市|全市(?!场)"),
    "county": re.compile(r"本县|我县|全县|本区|我区"),
    "province": re.compile(r"本省|我省|全省|本自治区|全自治区"),
}
_OPENING = 160
# a province named once in the body, in passing, is not the document's, unless the text speaks as a
# place (我市, 本省) and names no other
_MIN_WEIGHT = 1.5
_COMPANY = re.compile(
    r"^[\u4e00-\u9fff·]{0,12}?(?:有限责任公司|有限公司|股份|集团|公司|大学|学院|医院|论坛)"
)  # characters of the text that open it: the news lede, the 主送, the first sentence


@dataclass(frozen=True)
class Reading:
    """Where a document is from (``place`` or ``national``), the kind of evidence that says so, and whether
    it was inferred (addressee, text) rather than stated (issuer, table, title)."""

    place: Place | None = None
    national: bool = False
    evidence: str | None = None  # issuer | table | title | addressee | text
    inferred: bool = False

    @property
    def jurisdiction(self) -> str | None:
        if self.national:
            return NATIONAL
        return self.place.jurisdiction if self.place is not None else None

    @property
    def found(self) -> bool:
        return self.national or self.place is not None


NONE = Reading()


class JurisdictionReader:
    """Reads the addressee and text evidence; the stated kinds (issuer, table, title) come from
    :meth:`corpus.metadata.MetadataExtractor.locate` and are passed to :meth:`read`."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def from_addressee(self, addressee: str | None, text: str = "") -> Reading:
        """The 主送 line: 全国 for a national body's; a place it names; else the level, placed by the text."""
        if not addressee:
            return NONE
        if _NATIONAL_ADDRESSEE.search(addressee):
            return Reading(national=True, evidence="addressee", inferred=True)
        level = (
            "province"
            if _PROVINCE_ADDRESSEE.search(addressee)
            else "city"
            if _CITY_ADDRESSEE.search(addressee)
            else "county"
            if _COUNTY_ADDRESSEE.search(addressee)
            else None
        )
        named = self._named_bodies(addressee)
        if named is not None:
            # the bodies of one place: a document for them is that place's (or its parent's, when the
            # addressee lists the place's own subdivisions: 各区县 of the city)
            return Reading(place=named, evidence="addressee", inferred=True)
        if level is None:
            return NONE
        reading = self.from_text(text, level=level)
        if reading.place is None:
            return NONE
        return Reading(place=reading.place, evidence="addressee", inferred=True)

    def _named_bodies(self, addressee: str) -> Place | None:
        """ "厦门市住房公积金中心", "福州各住房公积金管理机构": one place named by the bodies addressed."""
        found = self.gazetteer.mentions(addressee)
        places = [c[0] for _, _, c in found if len(c) == 1]
        if not places or len(found) != len(places):
            return None
        top = places[0]
        if all(_related(p, top) for p in places):
            return max(places, key=lambda p: _DEPTH[p.level]) if len(places) > 1 else top
        return None

    def from_text(self, text: str, title: str = "", level: str | None = None) -> Reading:
        """The subject place of a title and text (see the module's docstring); ``level`` is what the 主送 said
        (province, city, county), which decides how deep to go."""
        votes = self._votes(title, text)
        if not votes.local and not votes.national:
            return NONE
        local_total = sum(votes.province.values())
        speaker = level or self._speaker(text)
        if level is None and votes.national > 0:
            if (votes.national >= _MIN_WEIGHT and votes.national >= 3 * local_total) or (
                votes.national > local_total and speaker is None
            ):
                return Reading(national=True, evidence="text", inferred=True)
        if not votes.province:
            return NONE
        ranked = sorted(votes.province.items(), key=lambda kv: kv[1], reverse=True)
        province_name, top = ranked[0]
        if (top < _MIN_WEIGHT and speaker is None) or (len(ranked) > 1 and ranked[1][1] >= top * 0.8):
            return NONE  # named in passing, or two provinces as strong: which one speaks is not said
        place = self.gazetteer.get(province_name)
        if place is None:
            return NONE
        lead = votes.lead if votes.lead is not None and votes.lead.province == province_name else None
        city = _best(votes.city, top, speaker, need=0.75 if speaker == "province" else 0.5)
        if lead is not None and (lead.city or lead.county) and province_name not in MUNICIPALITIES:
            city = lead.city or lead.county
        if city is not None:
            place = self.gazetteer.get(city) or place
            county = _best(
                votes.county_in.get(city, {}),
                votes.city.get(city, 0.0),
                speaker,
                need=0.6 if speaker == "county" else 0.85,
            )
            if lead is not None and lead.county and lead.city == city:
                county = lead.county
            if county is not None and county != city:
                place = _pick(self.gazetteer.all_named(county), city) or place
        elif province_name in MUNICIPALITIES:
            county = _best(votes.county_in.get(province_name, {}), top, speaker, need=0.6)
            if lead is not None and lead.county:
                county = lead.county
            if county is not None:
                place = _pick(self.gazetteer.all_named(county), province_name) or place
        elif speaker in ("city", "county"):
            return NONE  # 我市 speaks, but the text names only its province
        return Reading(place=place, evidence="text", inferred=True)

    @staticmethod
    def _speaker(text: str) -> str | None:
        counts = {k: len(p.findall(text)) for k, p in _SPEAKER.items()}
        best = max(counts, key=lambda k: counts[k])
        return best if counts[best] else None

    def _votes(self, title: str, text: str) -> _Votes:
        votes = _Votes()
        mentions: list[tuple[Place, float, bool]] = []  # place, weight, whether it acts
        for where, body in (("title", title), ("text", text)):
            cited = _spans(_CITED, body)
            found = self._mentions(body, title=where == "title")
            for k, (s, e, place) in enumerate(found):
                weight = 4.0 if where == "title" else (3.0 if s < _OPENING else 1.0)
                chained = k + 1 < len(found) and found[k + 1][0] == e  # 海南省 in 海南省儋州市住建局
                actor = False
                if _inside(s, cited):
                    weight *= 0.25
                elif _DATELINE.search(body[max(0, s - 6) : s]) or _DATELINE_AFTER.match(body[e : e + 12]):
                    weight = 0.0  # 新华社北京12月12日电: where the news was filed
                elif body[max(0, s - 1) : s] == "在" and _VENUE.match(body[e : e + 6]):
                    weight *= 0.25  # 住房城乡建设部在福州召开现场会: where, not who
                elif body[e : e + 1] in ("、", "等") or body[max(0, s - 1) : s] == "、":
                    weight *= 0.3  # 上海、浙江、江苏、安徽“三省一市”, 广东省等地: a list, not the speaker
                elif not chained and (
                    _ACTOR_AFTER.match(body[e : e + 14])
                    or (_COUNTY_BEFORE if place.level == "county" else _ACTOR_BEFORE).search(
                        body[max(0, s - 4) : s]
                    )
                ):
                    weight *= 2.0
                    actor = True
                if _COMPANY.match(body[e : e + 16]):
                    weight, actor = weight * 0.2, False  # 湖北锦源置业有限公司: a company, not a government
                mentions.append((place, weight, actor))
                if actor and votes.lead is None and (where == "title" or s < _OPENING):
                    votes.lead = place
            for m in NATIONAL_ACTOR.finditer(body):
                if (
                    _inside(m.start(), cited)
                    or _cites_after(body, m.end())
                    or _follows_policy(body, m.start())
                ):
                    continue
                votes.national += 4.0 if where == "title" else (3.0 if m.start() < _OPENING else 1.0)
        # places named for themselves, or as the parent of a city: what corroborates a county
        named = {p.name for p, _, _ in mentions} | {
            n for p, _, _ in mentions if p.level != "county" for n in (p.province, p.prefecture) if n
        }
        siblings = Counter(
            p.prefecture or p.province for p in {p for p, _, _ in mentions if p.level == "county"}
        )
        named |= {parent for parent, n in siblings.items() if n >= 2}  # 上城区、拱墅区、西湖区: 杭州's
        for place, weight, actor in mentions:
            if (
                place.level == "county"
                and not actor
                and not (
                    (place.province in named and place.province != place.name) or place.prefecture in named
                )
            ):
                continue  # a county named alone, by a name that may be a word (老城区; 房县 in "住房县城")
            if weight > 0:
                votes.add(place, weight)
        return votes

    def _mentions(self, body: str, title: bool = False) -> list[tuple[int, int, Place]]:
        """Unambiguous place mentions, with short names where an actor context makes them one: "结合宜昌实际",
        "推动嘉兴高质量发展", a title that opens with a county's short name ("淳安房产新政")."""
        out = [
            (s, e, c[0])
            for s, e, c in self.gazetteer.mentions(body)
            if len(c) == 1 and body[e : e + 1] != "域"  # 九龙湖区域 is no 龙湖区
        ]
        taken = [(s, e) for s, e, _ in out]
        for m in self._short.finditer(body):
            s, e = m.start(), m.end()
            if any(a < e and s < b for a, b in taken):
                continue
            cands = self.gazetteer.by_short(m.group(0))
            if len(cands) != 1:
                continue
            place = cands[0]
            context = _ACTOR_AFTER.match(body[e : e + 14]) or _ACTOR_BEFORE.search(body[max(0, s - 4) : s])
            if (place.level == "prefecture" and context) or (
                place.level == "county" and title and s == 0 and context
            ):
                out.append((s, e, place))
        out.sort(key=lambda x: x[0])
        return out

    @cached_property
    def _short(self) -> re.Pattern[str]:
        shorts = sorted(
            {
                p.short
                for p in self.gazetteer.places
                if p.level in ("prefecture", "county") and p.short and len(p.short) >= 2
            },
            key=len,
            reverse=True,
        )
        return re.compile("|".join(map(re.escape, shorts)))


class _Votes:
    def __init__(self) -> None:
        self.province: dict[str, float] = defaultdict(float)
        self.city: dict[str, float] = defaultdict(float)
        self.county_in: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.national = 0.0
        self.local = False
        self.lead: Place | None = None  # the first place that acts in the title or the opening

    def add(self, place: Place, weight: float) -> None:
        self.local = True
        self.province[place.province] += weight
        if place.city:
            self.city[place.city] += weight
        elif place.county and place.province not in MUNICIPALITIES:
            self.city[place.county] += weight  # 天门市, 仙桃市: county-level, directly under the province
        if place.county:
            self.county_in[place.city or place.province][place.county] += weight


def _best(
    scores: dict[str, float], parent_score: float, speaker: str | None, need: float = 0.5
) -> str | None:
    """The sub-place that holds most of its parent's weight: at least ``need`` of it, or a third when the
    text speaks at that level (本市, 本县)."""
    if not scores or parent_score <= 0:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    name, score = ranked[0]
    if len(ranked) > 1 and ranked[1][1] >= score * 0.8:
        return None
    share = score / parent_score
    alone = len(ranked) == 1 or ranked[1][1] < score * 0.25
    if share >= need or (speaker in ("city", "county") and share >= 1 / 3) or (alone and share >= 0.4):
        return name
    return None


def _pick(places: list[Place], parent: str) -> Place | None:
    for p in places:
        if parent in (p.province, p.prefecture):
            return p
    return None


def _cites_after(body: str, end: int) -> bool:
    """ "住房城乡建设部、中国人民银行、金融监管总局《关于…》": the authors of a cited text."""
    gap = re.match(r"^([\u4e00-\u9fff、，,\s]{0,30}?)《", body[end : end + 32])
    return bool(gap) and not re.search(r"(?:印发|发布|出台|制定|召开|通过)$", gap.group(1))


def _follows_policy(body: str, start: int) -> bool:
    """ "为贯彻落实党中央、国务院决策部署": a local text's preamble names the centre it follows."""
    clause = re.split(r"[，。；,;\n]", body[max(0, start - 40) : start])[-1]
    return bool(re.search(r"贯彻|落实|按照|根据|依据|响应|部署|精神|要求|指导下|支持下|统一|^按|经", clause))


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def national_issuer(name: str | None) -> bool:
    return is_national(name)


_DEPTH = {"province": 0, "prefecture": 1, "county": 2}


def _related(a: Place, b: Place) -> bool:
    return a.name in (b.name, b.province, b.prefecture) or b.name in (a.province, a.prefecture)
