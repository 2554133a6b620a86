"""A county 印发 notice (湖南省郴州市宜章县) on 社会办医, written for these tests: its title quotes the issued
document in 《》, its 落款 date is in Chinese numerals. Beside the built-in corpus (provinces and cities
only) it gives the page and the CLI a county to show: "湖南省 › 郴州市 › 宜章县". Judged by hand: read as a
county office writes a 印发 notice (文号, title, 主送, cover, 落款, 附注, the 措施 with 一、 headings).
"""

from __future__ import annotations

from pathlib import Path

TITLE = "宜章县人民政府办公室关于印发《宜章县支持社会力量举办医疗机构若干措施》的通知"
JURISDICTION = "湖南省/郴州市/宜章县"
SHOWN = "湖南省 › 郴州市 › 宜章县"
TEXT = f"""宜政办发〔2025〕6号
{TITLE}
各乡镇人民政府，县直各单位：
《宜章县支持社会力量举办医疗机构若干措施》已经县人民政府同意，现印发给你们，请认真贯彻执行。
宜章县人民政府办公室
二〇二五年五月八日
（此件主动公开）
宜章县支持社会力量举办医疗机构若干措施
一、放宽准入条件。社会力量举办医疗机构，除法律法规规定的情形外，不得设置床位规模、选址距离等前置条件。\
医师在第一执业地点以外的社会办医疗机构多点执业，向县卫生健康局备案即可，无需第一执业地点同意。
二、落实医保定点。符合条件的社会办医疗机构可申请纳入基本医疗保险定点管理，县医疗保障局执行与公立医疗机构\
相同的定点评估标准和结算政策。
三、保障建设用地。社会办医疗机构用地纳入县国土空间总体规划，优先保障非营利性医疗机构用地需求。
"""


def write(directory: Path) -> Path:
    path = directory / "yizhang.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path
