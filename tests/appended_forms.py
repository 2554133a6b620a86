"""Word, web and PDF layouts of the 附件 part of a notice, written for these tests (no real document is copied).

One county notice (宜章县, 湖南省郴州市) shaped as county offices publish them: 文号, title, 主送, an opening
sentence, 一、/（一） headings, a closing sentence, a single unnumbered "附件：…任务分解表" line, the 落款 with a
Chinese-numeral date — and then the task table itself. In Word the table follows the date directly (no
"附件" label above it, as many offices send it), in a .txt copy its rows are lines of tab-separated cells.
The table has a cell merged down three rows (the 牵头单位 of three tasks), as task tables have. A second,
small table of 指标 with narrow year columns is printed by Chromium the way a site's "打印" button prints a
page: bordered cells a few points apart.

Judged by hand: the .txt copy is what a person gets by copying the Word file into a text editor (a table
row per line, cells between tabs, a merged cell's text in its first row only); the Word file was opened and
looked at (the 落款 right-aligned, the table under it with its merged 牵头单位 cell).
"""

from __future__ import annotations

import html
from pathlib import Path

TITLE = "宜章县人民政府办公室关于做好2024年城镇老旧小区改造工作的通知"
DOC_NUMBER = "宜政办发〔2024〕9号"
ADDRESSEE = "各乡镇人民政府，县直各单位："
OPENING = "为加快推进城镇老旧小区改造，改善居民居住条件，经县人民政府同意，现就有关事项通知如下："
ATTACHMENT = "宜章县2024年城镇老旧小区改造任务分解表"
SIGNATURE = "宜章县人民政府办公室"
DATE = "二〇二四年四月十五日"
CLOSING = "各乡镇、各有关单位要按照任务分解表明确的时限抓好落实，确保改造任务按期完成。"
BODY = [
    ("h", "一、目标任务"),
    (
        "p",
        "2024年全县改造城镇老旧小区26个，涉及居民1860户，年底前全部开工，其中改造完成率达到60%以上。"
        "改造内容分为基础类、完善类、提升类，优先实施水电气路等基础类改造。",
    ),
    ("h", "二、工作措施"),
    (
        "p",
        "（一）科学编制改造方案。县住房和城乡建设局会同各乡镇逐个小区摸清底数，征求居民意见，"
        "一区一策编制改造方案，于2024年5月底前报县人民政府审定。",
    ),
    (
        "p",
        "（二）多渠道筹措资金。积极争取中央和省级补助资金，县财政按每户不低于3000元的标准安排配套资金，"
        "鼓励管线单位出资参与改造，引导居民按“谁受益、谁出资”原则合理分担。",
    ),
    ("h", "三、保障措施"),
    (
        "p",
        "（三）强化督查考核。县城镇老旧小区改造工作领导小组办公室每月通报进度，"
        "改造工作纳入对乡镇和县直单位的年度绩效考核。",
    ),
    ("p", CLOSING),
]
TABLE = [  # None: the cell above runs on into this row (merged down)
    ["序号", "工作任务", "牵头单位", "完成时限"],
    ["1", "编制改造方案", "县住房和城乡建设局", "2024年5月底"],
    ["2", "组织项目开工", None, "2024年7月底"],
    ["3", "完成竣工验收", None, "2024年12月底"],
    ["4", "筹措配套资金", "县财政局", "2024年6月底"],
]
# each row as it reads once the merged cell is given to every row it spans
TABLE_ROWS = [
    "序号\t工作任务\t牵头单位\t完成时限",
    "1\t编制改造方案\t县住房和城乡建设局\t2024年5月底",
    "2\t组织项目开工\t县住房和城乡建设局\t2024年7月底",
    "3\t完成竣工验收\t县住房和城乡建设局\t2024年12月底",
    "4\t筹措配套资金\t县财政局\t2024年6月底",
]
# the 指标 table: narrow year columns, as sites print them
INDICATORS = [
    ["指标", "2025年", "2027年"],
    ["改造完成率", "60%", "100%"],
    ["加装电梯（部）", "12", "40"],
]


def paragraphs(signed: bool = True) -> list[tuple[str, str]]:
    """The notice as (style, text) blocks. ``signed``: with the 落款 between the 附件说明 and the table;
    without it, the "附件：…" line stands right above the table (a 方案 sent without a cover)."""
    out = [("center", DOC_NUMBER), ("title", TITLE), ("plain", ADDRESSEE), ("p", OPENING), *BODY]
    out.append(("p", f"附件：{ATTACHMENT}"))
    if signed:
        out += [("right", SIGNATURE), ("right", DATE)]
    return [*out, ("table", "")]


def _row_text(row: list[str | None]) -> str:
    return "\t".join(c or "" for c in row)


def as_text(signed: bool = True) -> str:
    lines = []
    for style, text in paragraphs(signed):
        lines += [_row_text(row) for row in TABLE] if style == "table" else [text]
    return "\n".join(lines) + "\n"


def write_txt(path: Path, signed: bool = True) -> Path:
    path.write_text(as_text(signed), encoding="utf-8")
    return path


def write_docx(path: Path, signed: bool = True) -> Path:
    """The notice as an office types it in Word: centred title, right-aligned 落款, indented paragraphs, and
    the table (Table Grid) right under the date, its 牵头单位 cell merged down over rows 1–3."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    for style, text in paragraphs(signed):
        if style == "table":
            table = doc.add_table(rows=len(TABLE), cols=len(TABLE[0]))
            table.style = "Table Grid"
            for r, row in enumerate(TABLE):
                for c, value in enumerate(row):
                    if value is not None:
                        table.cell(r, c).text = value
                    else:  # merged into the cell above, which keeps its text once
                        above = table.cell(r - 1, c)
                        above.merge(table.cell(r, c)).text = above.text.split("\n")[0]
            continue
        para = doc.add_paragraph()
        run = para.add_run(text)
        if style == "title":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run.font.size = Pt(22)
        elif style == "center":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif style == "right":
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif style in ("p", "h"):
            para.paragraph_format.first_line_indent = Pt(32)
    doc.save(str(path))
    return path


def write_html(path: Path) -> Path:
    """The notice as a county site publishes it: the body in #zoom, the table with ``rowspan="3"``."""
    e = html.escape
    body = []
    for style, text in paragraphs():
        if style != "table":
            body.append(f"<p>{e(text)}</p>")
            continue
        rows = []
        for r, row in enumerate(TABLE):
            cells = []
            for c, value in enumerate(row):
                if value is None:
                    continue
                span = 1
                while r + span < len(TABLE) and TABLE[r + span][c] is None:
                    span += 1
                cells.append(f'<td rowspan="{span}">{e(value)}</td>' if span > 1 else f"<td>{e(value)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        body.append(f'<table border="1">{"".join(rows)}</table>')
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(TITLE)}_宜章县人民政府</title></head>
<body><div id="zoom">{"".join(body)}</div></body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


# -- the 指标 table in three forms ------------------------------------------------------------------------
INDICATOR_TITLE = "宜章县城镇老旧小区改造主要指标"


def write_indicators_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph(INDICATOR_TITLE)
    table = doc.add_table(rows=0, cols=len(INDICATORS[0]))
    table.style = "Table Grid"
    for row in INDICATORS:
        for cell, value in zip(table.add_row().cells, row):
            cell.text = value
    doc.save(str(path))
    return path


def indicators_html() -> str:
    e = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in INDICATORS)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(INDICATOR_TITLE)}</title><style>
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: "WenQuanYi Micro Hei", sans-serif; font-size: 16pt; line-height: 28pt; }}
table {{ border-collapse: collapse; font-size: 14pt; }} td {{ border: 1px solid #000; padding: 1pt 3pt; }}
</style></head><body><div id="zoom"><p>{e(INDICATOR_TITLE)}</p><table>{rows}</table></div></body></html>"""


def write_indicators_html(path: Path) -> Path:
    path.write_text(indicators_html(), encoding="utf-8")
    return path


def write_indicators_chromium_pdf(path: Path, chromium: str) -> Path:
    import subprocess

    page = path.with_suffix(".print.html")
    page.write_text(indicators_html(), encoding="utf-8")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={path}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    page.unlink()
    return path
