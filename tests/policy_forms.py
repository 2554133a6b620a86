"""One county 实施方案, written for these tests, rendered four ways: .txt, .docx, .pdf and a saved
政府信息公开 web page (nav, breadcrumb, info table, body, share bar, footer).

The text is this project's own (no real document is copied). It is shaped like a real county 印发 notice:
红头 (…文件), 文号, a long title, 主送, the notice, 落款 and date, the 方案 with 一、/（一） headings that run
inline ("（三）放宽准入条件。社会力量……"), an attachment table, and the 版记 (抄送, 印发) that print has and
a web page has not. Each renderer lays the document out as its format does: the PDF wraps lines by the
page width (GB/T 9704: 28 characters of 16 pt on a 156 mm line), breaks pages mid-sentence and prints page
numbers "— 1 —" at the outer corners; the page is encoded in GB2312, as many county sites still are.
"""

from __future__ import annotations

import html
from pathlib import Path

RED_HEAD = "永吉县人民政府办公室文件"
DOC_NUMBER = "永政办发〔2025〕12号"
TITLE = "永吉县人民政府办公室关于印发永吉县促进社会办医持续健康规范发展实施方案的通知"
ADDRESSEE = "各乡镇人民政府，县政府各部门，各直属机构："
COVER = (
    "《永吉县促进社会办医持续健康规范发展实施方案》已经县政府第十六次常务会议审议通过，现印发给你们，"
    "请结合实际认真抓好落实。"
)
SIGNATURE = "永吉县人民政府办公室"
DATE = "2025年3月18日"
DISCLOSURE = "（此件公开发布）"
PLAN_TITLE = "永吉县促进社会办医持续健康规范发展实施方案"
# (kind, text): "p" a paragraph, "h" a heading line
BODY = [
    (
        "p",
        "为深入贯彻落实《吉林市人民政府办公厅关于印发吉林市支持社会力量提供多层次多样化医疗服务实施方案的通知》"
        "（吉市政办发〔2018〕19号）精神，进一步激发社会办医活力，满足群众多层次多样化医疗卫生服务需求，"
        "结合我县实际，制定本方案。",
    ),
    ("h", "一、总体要求"),
    (
        "p",
        "（一）指导思想。坚持以人民健康为中心，坚持政府主导与市场机制相结合，在基本医疗卫生服务领域坚持政府"
        "主导并适度引入竞争机制，在非基本医疗卫生服务领域充分发挥市场作用，推动社会办医向规模化、多样化、"
        "高水平方向发展。",
    ),
    (
        "p",
        "（二）工作目标。到2027年底，全县社会办医疗机构床位数占医疗机构床位总数的比例达到30%以上，每千常住"
        "人口社会办医疗机构床位数达到1.6张，形成公立医疗机构与社会办医疗机构分工合作、协同发展的格局。",
    ),
    ("h", "二、重点任务"),
    (
        "p",
        "（三）放宽准入条件。社会力量举办医疗机构，除法律法规规定的情形外，不得设置床位规模、选址距离等前置"
        "条件。诊所设置实行备案管理，申请人应当取得相应的执业资格，具备与所开展诊疗科目相适应的场所、设备和"
        "人员，县卫生健康局在收到备案材料之日起15个工作日内完成审核。",
    ),
    (
        "p",
        "（四）推进医师多点执业。鼓励在职医师到社会办医疗机构多点执业，医师在第一执业地点以外的医疗机构执业，"
        "应当向县卫生健康局备案，无需第一执业地点书面同意。医师多点执业期间的工作量和服务质量，纳入第一执业"
        "地点的绩效考核。",
    ),
    (
        "p",
        "（五）落实医保定点政策。符合条件的社会办医疗机构可按规定申请纳入基本医疗保险定点管理，县医疗保障局"
        "对社会办医疗机构与公立医疗机构执行相同的定点评估标准和结算政策，不得另设附加条件。",
    ),
    ("h", "三、保障措施"),
    (
        "p",
        "（六）加强组织领导。县政府建立社会办医工作联席会议制度，由分管副县长任召集人，县卫生健康局负责联席"
        "会议日常工作。各乡镇、各有关部门要按照职责分工，制定具体落实措施，于2025年4月30日前报县卫生健康局。",
    ),
    (
        "p",
        "（七）强化综合监管。县卫生健康局会同县市场监督管理局、县医疗保障局建立社会办医疗机构信用档案，每年"
        "开展不少于2次联合检查，检查结果向社会公开，并与医保定点、评优评先挂钩。",
    ),
    ("p", "本方案自印发之日起施行，有效期至2027年12月31日。"),
    ("p", "附件：永吉县社会办医重点任务分工表"),
]
ATTACHMENT_LABEL = "附件"
ATTACHMENT_TITLE = "永吉县社会办医重点任务分工表"
TABLE = [
    ["序号", "重点任务", "牵头单位", "完成时限"],
    ["1", "放宽准入条件", "县卫生健康局", "2025年6月"],
    ["2", "推进医师多点执业", "县卫生健康局", "2025年9月"],
    ["3", "落实医保定点政策", "县医疗保障局", "2025年12月"],
    ["4", "强化综合监管", "县市场监督管理局", "长期坚持"],
]
IMPRINT = [  # 版记: printed documents end with it; the web page does not show it
    "抄送：县委各部门，县人大常委会办公室，县政协办公室，县法院，县检察院。",
    "永吉县人民政府办公室　　2025年3月18日印发",
]
# the 政府信息公开 table of the web page
INFO = {
    "索引号": "11220221MB1A23456X/2025-00012",
    "主题分类": "卫生、体育\\卫生",
    "发文机关": SIGNATURE,
    "成文日期": "2025年03月18日",
    "标题": TITLE,
    "发文字号": DOC_NUMBER,
    "发布日期": "2025年03月20日",
    "有效性": "有效",
}


def paragraphs(printed: bool = True) -> list[tuple[str, str]]:
    """The document as (style, text) blocks in reading order. ``printed``: with 红头 and 版记."""
    out: list[tuple[str, str]] = []
    if printed:
        out.append(("redhead", RED_HEAD))
    out += [("center", DOC_NUMBER), ("title", TITLE), ("plain", ADDRESSEE), ("p", COVER)]
    out += [("right", SIGNATURE), ("right", DATE), ("p", DISCLOSURE), ("title", PLAN_TITLE)]
    out += BODY
    out += [("pagebreak", ""), ("plain", ATTACHMENT_LABEL), ("title", ATTACHMENT_TITLE), ("table", "")]
    if printed:
        out += [("imprint", line) for line in IMPRINT]
    return out


def as_text() -> str:
    """What a person gets by copying the document into a .txt file: one paragraph a line."""
    lines = []
    for style, text in paragraphs():
        if style == "table":
            lines += ["\t".join(row) for row in TABLE]
        elif style != "pagebreak":
            lines.append(text)
    return "\n".join(lines) + "\n"


def write_txt(path: Path) -> Path:
    path.write_text(as_text(), encoding="utf-8")
    return path


def write_docx(path: Path) -> Path:
    """Word as an office types it: centred title and 文号, 2-character first-line indents, a real table."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt

    doc = Document()
    doc.sections[0].footer.paragraphs[0].text = "— 1 —"  # page furniture: never body text
    for style, text in paragraphs():
        if style == "table":
            table = doc.add_table(rows=0, cols=len(TABLE[0]))
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for row in TABLE:
                cells = table.add_row().cells
                for cell, value in zip(cells, row):
                    cell.text = value
            continue
        if style == "pagebreak":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            continue
        para = doc.add_paragraph()
        run = para.add_run(text)
        if style in ("redhead", "title"):
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run.font.size = Pt(22 if style == "title" else 26)
        elif style == "center":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif style == "right":
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif style in ("p", "h"):
            para.paragraph_format.first_line_indent = Pt(32)
    doc.save(str(path))
    return path


# -- PDF: typeset with reportlab's built-in CID font (no font file needed on any machine) ---------------------
_MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * _MM, 297 * _MM
LEFT, RIGHT, TOP, BOTTOM = 28 * _MM, 26 * _MM, 37 * _MM, 35 * _MM
BODY_PT, TITLE_PT, RED_PT, LEADING = 16, 20, 26, 28.9
_HANG = set("，。、；：？！）》」』”’%")  # closing marks hang at the line end, as Word sets them


def _wrap(text: str, width: float, size: float, first_indent: float) -> list[tuple[str, float]]:
    """Greedy character wrap (Chinese breaks anywhere, also inside numbers): (line, x offset) pairs."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[tuple[str, float]] = []
    cur, indent = "", first_indent
    for ch in text:
        if cur and stringWidth(cur + ch, "STSong-Light", size) > width - indent and ch not in _HANG:
            lines.append((cur, indent))
            cur, indent = "", 0.0
        cur += ch
    lines.append((cur, indent))
    return lines


def write_pdf(path: Path) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
    width = PAGE_W - LEFT - RIGHT
    state = {"y": PAGE_H - TOP, "page": 1}

    def new_page() -> None:
        n = state["page"]
        c.setFont("STSong-Light", 14)
        label = f"— {n} —"
        w = pdfmetrics.stringWidth(label, "STSong-Light", 14)
        c.drawString(PAGE_W - RIGHT - w if n % 2 else LEFT, BOTTOM - 20, label)  # outer corner
        c.showPage()
        state["y"], state["page"] = PAGE_H - TOP, n + 1

    def line(text: str, x: float, size: float) -> None:
        if state["y"] < BOTTOM:
            new_page()
        c.setFont("STSong-Light", size)
        c.drawString(x, state["y"], text)
        state["y"] -= LEADING if size <= BODY_PT else size * 1.5

    for style, text in paragraphs():
        if style == "pagebreak":
            new_page()
        elif style == "table":
            cols = [0, 40, 200, 330]
            for row in TABLE:
                for x, cell in zip(cols, row):
                    if state["y"] < BOTTOM:
                        new_page()
                    c.setFont("STSong-Light", 14)
                    c.drawString(LEFT + x, state["y"], cell)
                state["y"] -= LEADING
        elif style in ("redhead", "title", "center"):
            size = {"redhead": RED_PT, "title": TITLE_PT}.get(style, BODY_PT)
            for part, _ in _wrap(text, width, size, 0):
                w = pdfmetrics.stringWidth(part, "STSong-Light", size)
                line(part, LEFT + (width - w) / 2, size)
            if style == "redhead":
                state["y"] -= 2 * LEADING  # the 版头 stands apart, above the 文号 and the red rule
        elif style == "right":
            w = pdfmetrics.stringWidth(text, "STSong-Light", BODY_PT)
            line(text, PAGE_W - RIGHT - 4 * BODY_PT - w, BODY_PT)
        else:
            indent = 2 * BODY_PT if style in ("p", "h") else 0
            for part, x in _wrap(text, width, BODY_PT, indent):
                line(part, LEFT + x, BODY_PT)
    new_page()
    c.save()
    return path


# -- the saved 政府信息公开 page ----------------------------------------------------------------------------
def as_html() -> str:
    e = html.escape
    info_rows = list(INFO.items())
    table = "".join(
        "<tr>"
        + "".join(f'<td class="label">{e(k)}：</td><td>{e(v)}</td>' for k, v in info_rows[i : i + 2])
        + "</tr>"
        for i in range(0, len(info_rows), 2)
    )
    body = []
    for style, text in paragraphs(printed=False):
        if style == "table":
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in TABLE)
            body.append(f'<table border="1" cellspacing="0">{rows}</table>')
        elif style == "pagebreak":
            continue
        elif style in ("title", "center"):
            body.append(f'<p style="text-align: center;"><strong>{e(text)}</strong></p>')
        elif style == "right":
            body.append(f'<p style="text-align: right;">{e(text)}</p>')
        elif style == "h":
            body.append(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;<strong>{e(text)}</strong></p>")
        else:
            body.append(f"<p>\u3000\u3000{e(text)}</p>")
    # the article repeats the title above the body, as CMS pages do; the 文号 line opens the body
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{e(TITLE)}_永吉县人民政府</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.nav li {{ display: inline; }}</style></head>
<body>
<div class="top"><div class="logo">永吉县人民政府</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/yjzj/">意见征集</a></li></ul>
<form class="search"><input name="q" value="请输入关键字"><button>搜索</button></form></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府文件</div>
<div class="xxgk"><table class="xxgk_table">{table}</table></div>
<div class="article">
<h1 class="article-title">{e(TITLE)}</h1>
<div class="article-info">发布时间：2025-03-20 09:30　来源：县政府办公室　浏览次数：<span>1286</span>　【字体：<a>大</a> <a>中</a> <a>小</a>】</div>
<div id="zoom" class="article-content">
{chr(10).join(body)}
</div>
<div class="share">分享到：<a>微信</a> <a>微博</a> <a>QQ空间</a></div>
<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="related"><h3>相关文件</h3><ul><li><a href="/a.html">永吉县人民政府关于2024年度医疗卫生工作情况的报告</a></li>
<li><a href="/b.html">永吉县卫生健康局2025年工作要点</a></li></ul></div>
<div class="footer"><p>主办单位：永吉县人民政府办公室　网站标识码：2202210001</p>
<p>吉ICP备05002145号-1　<img src="ga.png">吉公网安备 22022102000123号</p>
<p>版权所有：永吉县人民政府　联系电话：0432-64221234</p></div>
</body></html>
"""


def write_html(path: Path) -> Path:
    path.write_bytes(as_html().encode("gb2312"))
    return path


# -- PDF printed from HTML by headless Chromium (a real embedded TrueType font, the browser's own header and
# footer: date, title, file URL, "1/4") ---------------------------------------------------------------------
def as_print_html() -> str:
    e = html.escape
    body = []
    for style, text in paragraphs():
        if style == "table":
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in TABLE)
            body.append(f"<table>{rows}</table>")
        elif style == "pagebreak":
            body.append('<div style="break-after: page"></div>')
        else:
            body.append(f'<p class="{style}">{e(text)}</p>')
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(TITLE)}</title><style>
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: "WenQuanYi Micro Hei", sans-serif; font-size: 16pt; line-height: 28pt; }}
p {{ margin: 0; }} .p, .h {{ text-indent: 2em; }} .center {{ text-align: center; }}
.title {{ text-align: center; font-size: 20pt; line-height: 32pt; }}
.redhead {{ text-align: center; font-size: 26pt; color: #c00; line-height: 60pt; }}
.right {{ text-align: right; padding-right: 4em; }}
table {{ border-collapse: collapse; font-size: 14pt; }} td {{ border: 1px solid #000; padding: 2pt 6pt; }}
</style></head><body>{"".join(body)}</body></html>"""


def write_chromium_pdf(path: Path, chromium: str) -> Path:
    import subprocess

    page = path.with_suffix(".print.html")
    page.write_text(as_print_html(), encoding="utf-8")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={path}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    page.unlink()
    return path
