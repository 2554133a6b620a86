"""Reading 施行, the last day in force and repeals (corpus.validity; issue 30).

The fixtures (tests/fixtures/validity) are written in county, city, province and ministry styles and were
judged by hand (each ``.judged.json``); policy-dev's judged set is scored when ../shared is there.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from corpus.metadata import MetadataExtractor
from corpus.models import DocumentMetadata, RawDocument
from corpus.pipeline import CorpusPipeline
from corpus.validity import add_term, read_cell, read_repeals, read_validity
from tests.scripts_module import load_script

FIXTURES = Path(__file__).parent / "fixtures" / "validity"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pipeline() -> CorpusPipeline:
    return CorpusPipeline()


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")), ids=lambda p: p.stem)
def test_fixture_read_as_judged(pipeline: CorpusPipeline, path: Path) -> None:
    truth = json.loads(path.with_suffix(".judged.json").read_text(encoding="utf-8"))
    md = pipeline.process(
        RawDocument(id=path.name, text=path.read_text(encoding="utf-8"), source=path.name)
    ).metadata
    assert md.effective_date == truth["effective_date"]
    assert md.expires_on == truth["expires_on"]
    got = [(r["doc_number"] or "").replace(" ", "") or r["title"] for r in md.repeals]
    want = [(r["doc_number"] or "").replace(" ", "") or r["title"] for r in truth["repeals"]]
    assert got == want


def _read(text: str, **dates: str | None) -> DocumentMetadata:
    md = DocumentMetadata(**dates)
    read_validity(text, md)
    return md


@pytest.mark.parametrize(
    ("text", "effective", "expires"),
    [
        ("本通知自2024年6月1日起施行，有效期五年。", "2024-06-01", "2029-05-31"),
        ("本办法从2025年4月1日起施行，有效期为5年。", "2025-04-01", "2030-03-31"),
        ("本通知自2024年2月29日起施行，有效期1年。", "2024-02-29", "2025-02-28"),
        ("本措施自2024年9月1日起执行，期限至2025年12月31日止。", "2024-09-01", "2025-12-31"),
        ("本通知执行期为2022年6月20日至2023年5月31日。", "2022-06-20", "2023-05-31"),
        ("本通知自2022年12月26日起施行，2027年12月25日废止。", "2022-12-26", "2027-12-24"),
        ("本通知自2023年9月1日零时起施行。", "2023-09-01", None),
        ("本办法自一九八七年四月一日起执行。", "1987-04-01", None),
        ("意见自发布之日起施行,有效期限一年。", "2022-11-23", "2023-11-22"),
        ("此次政策调整自通知发布之日起执行。", "2022-11-23", None),
        ("（一）本实施细则自发布之日起施行(试行3年)；", "2022-11-23", "2025-11-22"),
        # a measure's start, a 购房码's 有效期, a purchase window: none is the document's
        ("自2024年8月1日起，将住房公积金贷款保证金比例下调至3%。", None, None),
        ("购房码有效期为3个月，逾期作废。", None, None),
        ("2025年1月1日至2025年6月30日期间购买新建商品住房的，给予补贴。", None, None),
        ("5.提贷并举。阶段性实行“提贷并举”。该政策执行时间至2025年3月31日。", None, None),
        ("（征求意见稿）本办法自2022年X月X日起施行。", None, None),
        # a term past any calendar (a typing slip, or hostile) is no last day, and never fails the document
        ("本通知自2023年5月1日起施行，有效期99999年。", "2023-05-01", None),
        ("本通知自2023年5月1日起施行，有效期9999999999999999999999年。", "2023-05-01", None),
        ("本细则自2023年5月1日起施行（试行99999年）。", "2023-05-01", None),
        # a day the calendar lacks is no day (which one was meant is not guessed); a month alone is its first
        ("本通知自2023年2月30日起施行。", None, None),
        ("本通知自2023年6月31日起施行，有效期至2025年2月30日。", None, None),
        ("本通知自2023年5月起施行。", "2023-05-01", None),
    ],
)
def test_effective_and_expiry(text: str, effective: str | None, expires: str | None) -> None:
    md = _read(text, published_date="2022-11-23")
    assert (md.effective_date, md.expires_on) == (effective, expires)


def test_relative_dates_take_the_right_date() -> None:
    # 印发/下发 = 成文, 发布/公布 = 发布; a 发布 date before the 成文 one is a cited document's, not this one's
    assert _read(
        "本通知自印发之日起施行。", written_date="2025-03-18", published_date="2025-03-20"
    ).effective_date == ("2025-03-18")
    assert _read(
        "本通知自发布之日起施行。", written_date="2025-03-18", published_date="2025-03-20"
    ).effective_date == ("2025-03-20")
    md = DocumentMetadata(written_date="2023-09-15", published_date="2022-12-31")
    read_validity("本通知自公布之日起施行。", md, fallback="2023-09-16")
    assert md.effective_date == "2023-09-16"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("《宁国市鼓励安家补贴的通知》（宁政办秘〔2022〕1号）停止执行。", ["宁政办秘〔2022〕1号"]),
        ("德住房公积金委〔2022〕2号文件同时废止。", ["德住房公积金委〔2022〕2号"]),
        (
            "原《台州市住房公积金个人住房贷款管理实施细则》同时废止。",
            ["台州市住房公积金个人住房贷款管理实施细则"],
        ),
        (
            "废止《关于商品房销售价格实行备案制度的通知》(平发改价格〔2018〕208号)文件。",
            ["平发改价格〔2018〕208号"],
        ),
        (
            "《甲办法》（津公积金委〔2021〕1号）、《乙通知》（津公积金委〔2022〕6号）自本通知施行之日起废止。",
            ["津公积金委〔2021〕1号", "津公积金委〔2022〕6号"],
        ),
        # parts of a document are not repeals of it
        ("《德州市…的通知》（德政办发〔2017〕15号）第六条的规定不再执行。", []),
        ("不再执行《宁德市…实施意见》(宁建综〔2018〕34号)文件有关新建商品住房销售价格最高限价的规定。", []),
        ("停止执行《昆明市…的通知》(昆自然资规联〔2021〕13号)中第十一条的规定。", []),
        ("此前相关规定与本通知不一致的，以本通知为准，相关规定同时废止。", []),
    ],
)
def test_repeals(text: str, want: list[str]) -> None:
    assert [r.doc_number or r.title for r in read_repeals(text)] == want


def test_add_term() -> None:
    assert add_term(dt.date(2024, 6, 1), 5, "年") == dt.date(2029, 5, 31)
    assert add_term(dt.date(2022, 8, 17), 0.5, "年") == dt.date(2023, 2, 16)
    assert add_term(dt.date(2024, 1, 31), 1, "个月") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("[有效性] 是[文件来源]", "有效"),
        ("时 效 性:\n失效", "失效"),
        ("废止日期： 有效 内容概述", "有效"),
        ("正文", None),
    ],
)
def test_validity_cell(text: str, want: str | None) -> None:
    assert read_cell(text) == want


def test_metadata_carries_the_fields() -> None:
    from corpus.gazetteer import Gazetteer

    md = MetadataExtractor(Gazetteer.bundled()).extract(
        "关于调整住房公积金政策的通知\n一、提高贷款额度。\n二、本通知自2024年6月1日起施行，有效期五年。"
        "《关于调整住房公积金政策的通知》（湖房金〔2019〕8号）同时废止。"
    )
    d = md.to_dict()
    assert (d["effective_date"], d["expires_on"]) == ("2024-06-01", "2029-05-31")
    assert d["repeals"] == [{"doc_number": "湖房金〔2019〕8号", "title": "关于调整住房公积金政策的通知"}]


def _measure():  # noqa: ANN202 - the scoring script, read by path (scripts/ is no package)
    return load_script("measure_validity")


def _meets_goals(counts: dict) -> None:
    for field, c in counts.items():
        assert c["tp"] / max(1, c["given"]) >= 0.95, field
        assert c["tp"] / max(1, c["stated"]) >= 0.90, field


def test_goals_on_fixtures() -> None:
    _meets_goals(_measure().fixtures(False))


@pytest.mark.skipif(
    not (ROOT.parent / "shared" / "corpora" / "policy-dev.jsonl.gz").exists(), reason="no ../shared"
)
def test_goals_on_policy_dev() -> None:
    m = _measure()
    _meets_goals(m.policy_dev(m.CORPUS, False))


def test_a_law_states_its_force_in_its_closing_article(pipeline: CorpusPipeline) -> None:
    """LawRefBook's Markdown laws: metadata reads the head, 施行 and repeals close the text."""
    # longer than the head metadata reads (2,000 characters of the body)
    body = "\n\n".join(
        f"第{n}条 不动产登记机构应当依法办理登记事项并公开办理流程。" for n in range(1, 101)
    ) + (
        "\n\n第一百零一条 本规定自2021年3月1日起施行。2008年12月25日通过的《上海市房地产登记条例》同时废止。"
    )
    text = (
        "# 上海市不动产登记若干规定\n\n2020年11月27日 上海市第十五届人民代表大会常务委员会第二十七次会议通过\n\n<!-- INFO END -->\n\n"
        + body
    )
    raw = RawDocument(
        id="law", text=text, source="law", text_format="markdown", fields={"jurisdiction": "上海市"}
    )
    md = pipeline.process(raw).metadata
    assert md.effective_date == "2021-03-01"
    assert md.repeals == [{"doc_number": None, "title": "上海市房地产登记条例"}]
