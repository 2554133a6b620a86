"use strict";
// The page keeps its whole state in the URL (query, filters, view, open document), so a reload or a
// shared link shows the same thing.
const $ = (sel) => document.querySelector(sel);

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function placePath(j) {  // "湖南省/郴州市/宜章县" → "湖南省 › 郴州市 › 宜章县": every level, in order
  return String(j ?? "").split("/").filter(Boolean).join(" › ");
}

function regionLevels(jurisdictions) {  // each level of each region, once: 湖南省, 湖南省/郴州市, 湖南省/郴州市/宜章县
  const out = new Set();
  for (const j of jurisdictions) {
    const parts = String(j).split("/").filter(Boolean);
    parts.forEach((_, i) => out.add(parts.slice(0, i + 1).join("/")));
  }
  return [...out].sort();
}

function citedTitle(title) {  // a title quoting another inside 《》: the inner marks become 〈〉 (GB/T 15834)
  return String(title ?? "").replace(/《/g, "〈").replace(/》/g, "〉");
}

function marked(text, highlights) {
  let out = "", pos = 0;
  for (const h of highlights || []) {
    if (h.start < pos) continue;
    out += esc(text.slice(pos, h.start)) + "<mark>" + esc(text.slice(h.start, h.end)) + "</mark>";
    pos = h.end;
  }
  return out + esc(text.slice(pos));
}

function markTerms(text, terms) {  // the document view: every occurrence of the query's terms
  const list = [...new Set(terms || [])].filter((t) => t && t.length > 0).sort((a, b) => b.length - a.length);
  if (!list.length) return esc(text);
  const re = new RegExp(list.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
  let out = "", pos = 0, m;
  while ((m = re.exec(text)) !== null) {
    if (!m[0].length) { re.lastIndex++; continue; }
    out += esc(text.slice(pos, m.index)) + "<mark>" + esc(m[0]) + "</mark>";
    pos = m.index + m[0].length;
  }
  return out + esc(text.slice(pos));
}

function crumb(path) {
  return `<div class="crumb">${(path || []).map((p) => `<span>${esc(p)}</span>`).join("")}</div>`;
}

function region(d) {
  const j = d.jurisdiction || "地区未知";
  return `<span class="region${d.jurisdiction_inferred ? " inferred" : ""}" title="${d.jurisdiction_inferred ? "文件未写明地区，由正文推断" : ""}">${esc(placePath(j))}${d.jurisdiction_inferred ? "（推断）" : ""}</span>`;
}

function citation(h) {
  const d = h.document;
  const head = [d.doc_number, d.date].filter(Boolean).join("，");
  const draft = d.status === "draft" ? "（征求意见稿）" : "";
  return `《${citedTitle(d.title || d.id)}》${draft}${head ? "（" + head + "）" : ""}${(h.heading_path || []).length ? " " + h.heading_path.join(" › ") : ""}`;
}

const FUSION = { weighted: "加权融合", rrf: "倒数排名融合（RRF）", lexical: "词法（BM25）", dense: "语义" };

function whyHtml(h) {  // why the clause matched, in words: each part of the ranking and of the relevance
  const e = h.explanation;
  const parts = [
    `排序得分 ${h.score.toFixed(3)}（${FUSION[e.fusion] || esc(e.fusion)}）`,
    `词法第 ${e.lexical_rank ?? "–"} 名（BM25 ${e.lexical_score}）`,
    `语义第 ${e.dense_rank ?? "–"} 名（余弦 ${e.dense_score}）`,
    `词语覆盖 ${e.coverage} · 概念覆盖 ${e.concepts}`,
  ];
  if (e.matched_terms.length) parts.push("命中：" + esc(e.matched_terms.join("、")));
  if (e.expansions.length) parts.push("扩展：" + esc(e.expansions.join("、")));
  if (e.query_adapter) parts.push("语义查询经法规适配");
  if (e.head_score != null) parts.push(`首页排序得分 ${e.head_score}（按融合得分第 ${e.fused_rank} 名）`);
  if (e.rerank_score != null) parts.push(`重排序得分 ${e.rerank_score}（原第 ${e.first_stage_rank} 名）`);
  return parts.join(" · ");
}

function relatedHtml(x) {  // related provisions: what the clause cites, and what cites it (links)
  const link = (r) => `<a href="#" class="rel" data-doc="${esc(r.doc_id)}"${r.clause_id ? ` data-clause="${esc(r.clause_id)}"` : ""}
    title="${esc(r.title || r.doc_id)}">${esc(r.label)}</a>`;
  const parts = [];
  if ((x.cites || []).length) parts.push(`引用：${x.cites.map(link).join("、")}`);
  if ((x.cited_by || []).length) parts.push(`被引：${x.cited_by.map((r) => link({ ...r, label: (r.title || "") + " " + r.label })).join("、")}`);
  return parts.length ? `<div class="related">${parts.join(" · ")}</div>` : "";
}

let lastTerms = [];  // the matched terms of the current results: the document view marks them

function hitHtml(h) {
  const d = h.document, e = h.explanation;
  const meta = [d.title && `<b>${esc(d.title)}</b>`, d.doc_number && esc(d.doc_number), d.date && esc(d.date),
                d.issuer && esc(d.issuer), d.subject && `主题分类：${esc(d.subject)}`,
                d.index_number && `<span class="index-number">索引号：${esc(d.index_number)}</span>`].filter(Boolean).join(" · ");
  const draft = (d.status === "draft" ? '<span class="badge">征求意见稿</span>' : "")
    + (d.validity && !/^(现行)?有效$/.test(d.validity) ? `<span class="badge">${esc(d.validity)}</span>` : "");
  const weak = h.strong === false ? '<span class="badge weak" title="相关度低于阈值">弱匹配</span>' : "";
  const part = h.part_count > 1 ? ` (${h.part}/${h.part_count})` : "";
  return `<article class="hit" data-doc="${esc(d.id)}" data-clause="${esc(h.clause_id)}">
    <div class="top">${region(d)}${statusBadge(d)}${crumb(h.heading_path)}</div>
    <div class="text">${marked(h.text, h.highlights)}</div>
    ${relatedHtml(h)}
    <div class="meta">${meta}${draft}${weak}${part}
      <button type="button" class="cite" data-cite="${esc(citation(h))}" title="复制引用：标题、文号、日期、条款位置">引用</button></div>
    ${e ? `<details class="why"><summary>为何匹配 · 相关度 ${h.relevance.toFixed(2)}</summary>${whyHtml(h)}</details>` : ""}
  </article>`;
}

// -- state <-> URL <-> form -------------------------------------------------------------------------
const FIELDS = [["jurisdiction", "#f-jurisdiction"], ["doc_type", "#f-doc-type"], ["subject", "#f-subject"], ["date_from", "#f-date-from"], ["date_to", "#f-date-to"], ["as_of", "#f-as-of"]];

function formState() {
  const p = new URLSearchParams();
  const q = $("#q").value.trim();
  if (q) p.set("q", q);
  for (const [name, sel] of FIELDS) { const v = $(sel).value; if (v) p.set(name, v); }
  if ($("#f-undated").checked) p.set("include_undated", "true");
  if (!$("#f-drafts").checked) p.set("include_drafts", "false");
  if (!$("#f-group").checked) p.set("group", "off");
  if ($("#f-in-force").checked) p.set("in_force_only", "true");
  return p;
}

function applyState(p) {
  $("#q").value = p.get("q") || "";
  for (const [name, sel] of FIELDS) {
    const el = $(sel), v = p.get(name) || "";
    if (el.tagName === "SELECT" && v && ![...el.options].some((o) => o.value === v)) {
      el.insertAdjacentHTML("beforeend", `<option value="${esc(v)}">${esc(name === "jurisdiction" ? placePath(v) : v)}</option>`);
    }
    el.value = v;
  }
  $("#f-undated").checked = p.get("include_undated") === "true";
  $("#f-drafts").checked = p.get("include_drafts") !== "false";
  $("#f-group").checked = p.get("group") !== "off";
  $("#f-in-force").checked = p.get("in_force_only") === "true";
}

function apiParams(p, view) {
  const a = new URLSearchParams();
  for (const k of ["q", "jurisdiction", "doc_type", "subject", "date_from", "date_to", "include_undated", "include_drafts", "as_of", "in_force_only"]) {
    if (p.get(k)) a.set(k, p.get(k));
  }
  if (view === "search") {
    a.set("top_k", "20");
    // one region chosen: nothing to group; show its matches as one list
    if (p.get("group") !== "off" && !p.get("jurisdiction")) { a.set("group_by", "jurisdiction"); a.set("per_group", "3"); }
  }
  return a;
}

let latest = 0;  // only the newest request may paint the results (older ones can finish later)

async function getJson(url) {  // every failure as a Chinese message (the service's own, or ours)
  let r;
  try { r = await fetch(url); } catch (err) { throw new Error("无法连接检索服务"); }
  let data = null;
  try { data = await r.json(); } catch (err) { /* not JSON: said below */ }
  if (!r.ok || data === null) {
    const e = new Error((data && data.detail) || `服务返回了无法识别的回答（HTTP ${r.status}）`);
    e.status = r.status; e.headers = r.headers;
    throw e;
  }
  return data;
}

async function fetchJson(url, mine) {
  return getJsonPatiently(url, () => mine === latest);
}

// -- busy service: a 503 is retried after its Retry-After before an error is shown --------------------
const BUSY_RETRIES = 3, BUSY_MAX_WAIT_S = 10;

async function getJsonPatiently(url, wanted = () => true) {  // null when no longer wanted after a wait
  const status = $("#status"), before = [status.className, status.textContent];
  for (let attempt = 1; ; attempt++) {
    try {
      const data = await getJson(url);
      if (attempt > 1 && status.className === "busy") [status.className, status.textContent] = before;
      return data;
    } catch (err) {
      if (err.status !== 503 || attempt > BUSY_RETRIES) throw err;
      const wait = Math.min(BUSY_MAX_WAIT_S, Math.max(1, Number(err.headers.get("Retry-After")) || 1));
      status.className = "busy";
      status.textContent = `服务繁忙，${wait} 秒后重试…`;
      await new Promise((ok) => setTimeout(ok, 1000 * wait));
      if (!wanted()) return null;
    }
  }
}

function showNotices(data) {
  // the service's notices, each once; the one about undated documents carries the link that includes them
  const codes = data.notice_codes || [];
  const items = (data.notices || []).map((n, i) => codes[i] === "undated_excluded" && !$("#f-undated").checked
    ? `<li data-code="undated_excluded">${esc(n)} <a href="#" id="include-undated">包含它们</a></li>`
    : `<li data-code="${esc(codes[i] || "")}">${esc(n)}</li>`);
  $("#notices").innerHTML = items.join("");
}

async function run(view, push = true) {
  const p = formState();
  if (!p.get("q")) return;
  if (view !== "search") p.set("view", view);
  const mine = ++latest;
  if (push) history.pushState(null, "", "?" + p.toString());
  const status = $("#status");
  status.className = ""; status.textContent = { compare: "比较中…", timeline: "整理时间线…" }[view] || "检索中…";
  updateViewBar(p, view);
  let data;
  try {
    data = await fetchJson(`/api/${view}?` + apiParams(p, view).toString(), mine);
    if (data === null || mine !== latest) return;
  } catch (err) {
    if (mine !== latest) return;
    status.className = "error"; status.textContent = "出错：" + err.message; $("#results").innerHTML = ""; $("#notices").innerHTML = ""; return;
  }
  showNotices(data);
  if (view === "compare") paintCompare(data); else if (view === "timeline") paintTimeline(data); else paintSearch(data);
  openFromUrl();
}

function paintSearch(data) {
  lastTerms = [...new Set(data.hits.flatMap((h) => h.explanation.matched_terms))];
  const grouped = !!data.groups;
  const regions = grouped ? ` · ${data.groups.filter((g) => g.count > 0).length} 个地区有匹配` : "";
  $("#status").textContent = `${data.total} 条匹配条款${regions} · 显示 ${grouped ? data.groups.reduce((n, g) => n + g.hits.length, 0) : data.hits.length} 条 · 用时 ${Math.round(data.took_ms)} 毫秒`;
  const groups = data.groups || [{ jurisdiction: null, hits: data.hits }];
  $("#results").innerHTML = groups.map((g) => `<section class="group" data-jurisdiction="${esc(g.jurisdiction || "")}">
      ${g.jurisdiction ? `<h2>${esc(placePath(g.jurisdiction))} <small>${g.count} 条匹配</small>
        <a href="#" class="more" data-jurisdiction="${esc(g.jurisdiction)}">该地区全部结果 →</a></h2>` : ""}
      ${g.hits.map(hitHtml).join("")}</section>`).join("")
    || '<p class="empty">没有找到匹配的条款。</p>';
}

function clauseCard(c) {
  return `<div class="cclause hit" data-doc="${esc(c.document.id)}" data-clause="${esc(c.clause_id)}">
    ${crumb(c.heading_path)}<div class="text">${marked(c.text, c.highlights)}</div>
    <div class="meta">${statusBadge(c.document)} <b>${esc(c.document.title || "")}</b> ${esc(c.document.doc_number || "")} ${esc(c.document.date || "")} · 相关度 ${c.relevance.toFixed(2)}
      <button type="button" class="cite" data-cite="${esc(citation(c))}" title="复制引用：标题、文号、日期、条款位置">引用</button></div></div>`;
}

function diffHtml(m) {
  return m.diff.map((d) => d.op === "equal" ? esc(d.text)
    : d.op === "insert" ? `<ins title="增加">${esc(d.text)}</ins>`
    : d.op === "delete" ? `<del title="删去">${esc(d.common)}</del>`
    : `<del title="原文">${esc(d.common)}</del><ins title="改为">${esc(d.text)}</ins>`).join("");
}

function paintCompare(data) {
  lastTerms = [...new Set(data.jurisdictions.flatMap((j) => j.clauses.flatMap((c) => c.highlights.map((h) => h.term))))];
  $("#status").textContent = `跨地区比较：${data.jurisdictions.length} 个地区有相关条款，${data.without.length} 个地区没有 · 用时 ${Math.round(data.took_ms)} 毫秒`;
  const cols = data.jurisdictions.map((j) => `<section class="jcol" data-jurisdiction="${esc(j.jurisdiction)}">
      <h2>${esc(placePath(j.jurisdiction))}${j.inferred ? "（推断）" : ""} <small>${j.count} 条匹配</small></h2>
      ${j.clauses.map(clauseCard).join("")}</section>`).join("");
  const none = data.without.length ? `<section class="without"><h3>没有相关条款的地区（相关度低于 ${data.floor.toFixed(2)}）</h3><ul>
      ${data.without.map((j) => `<li data-jurisdiction="${esc(j.jurisdiction)}"><b>${esc(placePath(j.jurisdiction))}</b>
        最接近：${j.nearest_miss ? `<a href="#" class="miss" data-doc="${esc(j.nearest_miss.document.id)}" data-clause="${esc(j.nearest_miss.clause_id)}">${esc(j.nearest_miss.heading_path.join(" › ") || j.nearest_miss.text.slice(0, 30))}</a>` : "–"}
        （相关度 ${j.best_relevance.toFixed(2)}）</li>`).join("")}</ul></section>` : "";
  const groups = data.groups.length ? `<section class="wording"><h3>相同表述（${data.groups.length} 组）</h3>
      ${data.groups.map((g) => `<div class="wgroup"><div class="common">通行表述：${esc(g.common)} <small>${g.jurisdictions} 个地区</small></div>
        <table>${g.members.map((m) => `<tr><th>${esc(placePath(m.jurisdiction))}</th><td class="diff">${diffHtml(m)}</td></tr>`).join("")}</table></div>`).join("")}
    </section>` : "";
  const jurs = [...new Set(data.figures.flatMap((r) => r.figures.map((f) => f.jurisdiction)))];
  const figures = data.figures.length ? `<section class="figures"><h3>数字对照</h3><div class="scroll"><table id="figures-table">
      <thead><tr><th>指标</th>${jurs.map((j) => `<th>${esc(placePath(j))}</th>`).join("")}</tr></thead>
      <tbody>${data.figures.map((r) => `<tr><th title="${esc(r.figures[0].context)}">${esc(r.measure)}（${esc(r.unit)}）</th>${jurs.map((j) => {
        const cell = r.figures.filter((f) => f.jurisdiction === j);
        return `<td>${cell.map((f) => `<span title="${esc(f.context)}">${f.bound === "=" ? "" : esc(f.bound)}${esc(f.value_text)}${esc(f.unit)}</span>`).join("<br>")}</td>`;
      }).join("")}</tr>`).join("")}</tbody></table></div></section>` : "";
  $("#results").innerHTML = `<div class="compare">${figures}<div class="columns">${cols || '<p class="empty">没有地区有相关条款。</p>'}</div>${groups}${none}</div>`;
}

// -- document view ------------------------------------------------------------------------------------
const DOC_PAGE = 1000, DOC_MAX_CLAUSES = 20000;

async function openDocument(docId, clauseId, push = true) {
  if (push) {
    const p = new URLSearchParams(location.search);
    p.set("doc", docId); if (clauseId) p.set("clause", clauseId); else p.delete("clause");
    history.pushState(null, "", "?" + p.toString());
  }
  // the document comes in pages of clauses (offset/limit, total): read them in turn, up to DOC_MAX_CLAUSES
  const asOf = new URLSearchParams(location.search).get("as_of");
  const url = (offset) => "/api/documents/" + encodeURIComponent(docId) + `?offset=${offset}&limit=${DOC_PAGE}` + (asOf ? "&as_of=" + encodeURIComponent(asOf) : "");
  let d;
  try { d = await getJsonPatiently(url(0)); }
  catch (err) { $("#status").className = "error"; $("#status").textContent = "出错：" + err.message; return; }
  while (d.clauses.length < Math.min(d.total, DOC_MAX_CLAUSES)) {
    let more;
    try { more = (await getJsonPatiently(url(d.clauses.length))).clauses; } catch (err) { break; }
    if (!more.length) break;
    d.clauses.push(...more);
  }
  const m = d.document;
  // a clause split into parts is one block; a heading is shown once, where its clauses begin
  const blocks = [];
  for (const c of d.clauses) {
    const key = c.heading_path.join(" › ");
    const prev = blocks[blocks.length - 1];
    if (prev && c.part > 1 && prev.key === key) {
      prev.text += c.text; prev.ids.push(c.clause_id);
      prev.cites.push(...(c.cites || [])); prev.cited_by.push(...(c.cited_by || [])); continue;
    }
    blocks.push({ key, path: c.heading_path, text: c.text, ids: [c.clause_id], cites: [...(c.cites || [])], cited_by: [...(c.cited_by || [])] });
  }
  const toc = [], body = [];
  let shownPath = [];
  blocks.forEach((b, i) => {
    b.path.forEach((h, level) => {
      if (shownPath[level] !== h) {
        const anchor = `h-${i}-${level}`;
        toc.push(`<li class="l${level}"><a href="#${anchor}">${esc(h)}</a></li>`);
        body.push(`<h${Math.min(level + 3, 6)} class="heading" id="${anchor}">${esc(h)}</h${Math.min(level + 3, 6)}>`);
        shownPath = shownPath.slice(0, level).concat([h]);
      }
    });
    shownPath = shownPath.slice(0, b.path.length);
    body.push(`<div class="clause" data-ids="${esc(b.ids.join(" "))}">${markTerms(b.text, lastTerms)}${relatedHtml(b)}</div>`);
  });
  const partial = d.clauses.length < d.total ? `<p class="notice">仅显示前 ${d.clauses.length} 条，共 ${d.total} 条。</p>` : "";
  $("#doc-body").innerHTML = `${partial}<h2>${esc(m.title || "")}</h2>
    <div class="meta">${region(m)} · ${[m.issuer, m.doc_number, m.date, m.doc_type, m.status === "draft" ? "征求意见稿" : "",
      m.subject && `主题分类：${m.subject}`, m.index_number && `索引号：${m.index_number}`, m.validity && `有效性：${m.validity}`]
      .filter(Boolean).map(esc).join(" · ")}</div>${ocrNote(d.metadata || {})}
    ${validityHtml(m)}
    ${toc.length ? `<nav class="toc"><b>目录</b><ul>${toc.join("")}</ul></nav>` : ""}
    ${body.join("")}`;
  $("#doc-view").hidden = false;
  const target = [...document.querySelectorAll("#doc-body .clause")].find((el) => el.dataset.ids.split(" ").includes(clauseId));
  if (target) { target.classList.add("target"); target.scrollIntoView({ block: "center" }); }
}

// issue 31: a document read from a scan says which pages were recognised (OCR can misread a character)
function ocrNote(metadata) {
  const pages = metadata.ocr_pages || [];
  if (!pages.length) return "";
  return `<p class="notice ocr-note">第 ${esc(pageRanges(pages))} 页由扫描件经文字识别（OCR）读取，个别文字可能有误，引用前请核对原件。</p>`;
}

function pageRanges(pages) {  // [1, 2, 3, 5] → "1–3、5"
  const out = [];
  for (const p of [...pages].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[1] === p - 1) last[1] = p; else out.push([p, p]);
  }
  return out.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join("、");
}

function closeDocument(push = true) {
  if ($("#doc-view").hidden) return;
  $("#doc-view").hidden = true;
  if (push) {
    const p = new URLSearchParams(location.search);
    p.delete("doc"); p.delete("clause");
    history.pushState(null, "", "?" + p.toString());
  }
}

function openFromUrl() {
  const p = new URLSearchParams(location.search);
  if (p.get("doc")) openDocument(p.get("doc"), p.get("clause"), false); else closeDocument(false);
}

async function loadFacets() {
  try {
    const s = await (await fetch("/api/stats")).json();
    $("#f-jurisdiction").insertAdjacentHTML("beforeend", regionLevels(s.jurisdictions.map((j) => j.jurisdiction))
      .map((j) => `<option value="${esc(j)}">${esc(placePath(j))}</option>`).join(""));
    $("#f-doc-type").insertAdjacentHTML("beforeend",
      Object.keys(s.doc_types).sort().map((t) => `<option value="${esc(t)}">${esc(t)}</option>`).join(""));
    const subjects = Object.keys(s.subjects || {}).sort();  // 主题分类: only web pages' info tables give one
    $("#f-subject").insertAdjacentHTML("beforeend", subjects.map((t) => `<option value="${esc(t)}">${esc(t)}</option>`).join(""));
    $("#l-subject").hidden = !subjects.length && !$("#f-subject").value;
  } catch (err) { /* the page still searches without facets */ }
}

function currentView() {
  const v = new URLSearchParams(location.search).get("view");
  return v === "compare" || v === "timeline" ? v : "search";
}

$("#search-form").addEventListener("submit", (ev) => { ev.preventDefault(); run("search"); });
$("#compare-go").addEventListener("click", () => { if ($("#q").value.trim()) run("compare"); else $("#q").focus(); });
for (const id of ["#f-jurisdiction", "#f-doc-type", "#f-subject", "#f-date-from", "#f-date-to", "#f-undated", "#f-drafts", "#f-group", "#f-in-force", "#f-as-of"]) {
  $(id).addEventListener("change", () => { if ($("#q").value.trim()) run(currentView()); });
}
$("#notices").addEventListener("click", (ev) => {
  if (ev.target.id === "include-undated") { ev.preventDefault(); $("#f-undated").checked = true; run(currentView()); }
});
$("#results").addEventListener("click", async (ev) => {
  const cite = ev.target.closest(".cite");
  if (cite) {
    ev.stopPropagation();
    try { await navigator.clipboard.writeText(cite.dataset.cite); cite.textContent = "已复制"; }
    catch (err) { window.prompt("复制引用", cite.dataset.cite); }
    return;
  }
  const more = ev.target.closest(".more");
  if (more) {
    ev.preventDefault();
    const sel = $("#f-jurisdiction");
    if (![...sel.options].some((o) => o.value === more.dataset.jurisdiction)) {
      sel.insertAdjacentHTML("beforeend", `<option value="${esc(more.dataset.jurisdiction)}">${esc(placePath(more.dataset.jurisdiction))}</option>`);
    }
    sel.value = more.dataset.jurisdiction;
    await run("search");
    window.scrollTo(0, 0);  // the region's list from its top, not where the grouped page was scrolled to
    return;
  }
  if (ev.target.closest("summary")) return;
  const rel = ev.target.closest(".rel");
  if (rel) { ev.preventDefault(); openDocument(rel.dataset.doc, rel.dataset.clause); return; }
  const hit = ev.target.closest(".hit, .miss");
  if (hit) { ev.preventDefault(); openDocument(hit.dataset.doc, hit.dataset.clause); }
});
$("#doc-close").addEventListener("click", () => closeDocument());
$("#filters-toggle").addEventListener("click", () => {
  const open = $("header").classList.toggle("show-filters");
  $("#filters-toggle").setAttribute("aria-expanded", String(open));
  headerHeight();
});
function headerHeight() {  // the document panel starts below the header (CSS --header-h)
  document.documentElement.style.setProperty("--header-h", $("header").offsetHeight + "px");
}
window.addEventListener("resize", headerHeight);
headerHeight();
$("#doc-body").addEventListener("click", (ev) => {
  const rel = ev.target.closest(".rel, .repealer");
  if (rel) { ev.preventDefault(); openDocument(rel.dataset.doc, rel.dataset.clause); }
});
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeDocument(); });
window.addEventListener("popstate", () => {
  const p = new URLSearchParams(location.search);
  applyState(p);
  if (p.get("q")) run(currentView(), false); else openFromUrl();
});

// -- validity (issue 30): status badges, the timeline view and its step charts, exports --------------------
const STATUS_CODE = { "现行有效": "in_force", "已失效": "expired", "已废止": "repealed", "尚未施行": "not_yet", "未知": "unknown" };

function statusBadge(d) {  // the document's force at the request's date, read at a glance
  const s = d && d.validity_status;
  if (!s) return "";
  const why = [d.effective_date && `施行 ${d.effective_date}`, d.expires_on && `有效期至 ${d.expires_on}`,
               d.repealed_by && `被《${d.repealed_by.title || d.repealed_by.id}》废止`].filter(Boolean).join("；");
  return `<span class="badge status s-${STATUS_CODE[s] || "unknown"}" title="${esc(why || "文件未写明施行或有效期")}">${esc(s)}</span>`;
}

function validityHtml(m) {  // the document view: status, 施行, 有效期至, and what repealed it (a link)
  const parts = [m.effective_date && `施行日期：${esc(m.effective_date)}`, m.expires_on && `有效期至：${esc(m.expires_on)}`];
  if (m.repealed_by) {
    const r = m.repealed_by;
    parts.push(`被 <a href="#" class="repealer" data-doc="${esc(r.id)}">《${esc(r.title || r.id)}》</a>${r.doc_number ? `（${esc(r.doc_number)}）` : ""}废止`);
  }
  return `<div class="validity">${statusBadge(m)} ${parts.filter(Boolean).join(" · ")}</div>`;
}

function updateViewBar(p, view) {  // the timeline button and the downloads of what is shown
  $("#view-bar").hidden = false;
  const a = apiParams(p, view);
  a.delete("group_by"); a.delete("per_group");
  if (view === "search") { a.set("top_k", "100"); if (p.get("group") !== "off" && !p.get("jurisdiction")) a.set("group_by", "jurisdiction"); }
  for (const fmt of ["csv", "xlsx"]) {
    const link = $(`#export-${fmt}`);
    link.href = `/api/export?view=${view}&format=${fmt}&` + a.toString();
    link.setAttribute("download", `policy-search-${view}.${fmt}`);
  }
  $("#timeline-go").classList.toggle("active", view === "timeline");
}

function paintTimeline(data) {
  lastTerms = [];
  const n = data.jurisdictions.reduce((k, j) => k + j.entries.length, 0);
  $("#status").textContent = `时间线：${data.jurisdictions.length} 个地区，${n} 条条款 · 效力状态截至 ${data.as_of} · 用时 ${Math.round(data.took_ms)} 毫秒`;
  const results = $("#results");
  results.innerHTML = data.jurisdictions.length ? "" : '<p class="empty">没有地区有相关条款。</p>';
  const wrap = document.createElement("div");
  wrap.className = "timeline";
  for (const j of data.jurisdictions) {
    const sec = document.createElement("section");
    sec.className = "tjur"; sec.dataset.jurisdiction = j.jurisdiction;
    sec.innerHTML = `<h2>${esc(j.jurisdiction.replace(/\//g, " › "))} <small>${j.entries.length} 条条款</small></h2>`;
    const byClause = Object.fromEntries(j.entries.map((e) => [e.clause_id, e]));
    for (const series of j.series.filter((x) => x.points.length > 0).slice(0, 3)) {
      sec.appendChild(stepChart(series, byClause, data.as_of));
    }
    const list = document.createElement("ol");
    list.className = "tentries";
    list.innerHTML = j.entries.map((e) => `<li class="hit" data-doc="${esc(e.document.id)}" data-clause="${esc(e.clause_id)}">
        <div class="top"><span class="when">${esc(e.date || "无日期")}</span>${statusBadge(e.document)}${crumb(e.heading_path)}</div>
        <div class="text">${esc(e.text)}</div>
        <div class="meta"><b>${esc(e.document.title || e.document.id)}</b> ${esc(e.document.doc_number || "")}
          ${e.figures.length ? " · " + e.figures.map((f) => esc(`${f.bound === "=" ? "" : f.bound}${f.value_text}${f.unit}`)).join("、") : ""}</div></li>`).join("");
    sec.appendChild(list);
    wrap.appendChild(sec);
  }
  results.appendChild(wrap);
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svgEl(name, attrs, parent, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

function stepChart(series, byClause, asOf) {
  // x: time (the first point or 施行 … as_of or the last point), y: the value; the line steps at each
  // document's date; below it, each document's span in force coloured by its status; a point opens its clause
  // drawn at the width it is shown (a phone's too), so its text keeps its size
  const W = Math.max(300, Math.min(720, ($("#results").clientWidth || 680) - 40)), H = 220, L = 44, R = 22, T = 24, B = 58;
  const day = (s) => Date.parse(s + "T00:00:00Z");
  const pts = series.points.map((p) => ({ ...p, t: day(p.date), e: byClause[p.clause_id] }));
  const starts = pts.map((p) => (p.e && p.e.in_force_from ? day(p.e.in_force_from) : p.t));
  let t0 = Math.min(...pts.map((p) => p.t), ...starts), t1 = Math.max(day(asOf), ...pts.map((p) => p.t));
  if (t1 - t0 < 86400000 * 180) { t0 -= 86400000 * 90; t1 += 86400000 * 90; }
  const vals = pts.map((p) => p.value);
  let v0 = Math.min(...vals), v1 = Math.max(...vals);
  if (v0 === v1) { v0 = v0 > 0 ? 0 : v0 - 1; v1 = v1 + (v1 === 0 ? 1 : 0); }
  const pad = (v1 - v0) * 0.12;
  v0 = v0 - pad < 0 && v0 >= 0 ? 0 : v0 - pad; v1 += pad;
  const x = (t) => L + (W - L - R) * (t - t0) / (t1 - t0);
  const y = (v) => T + (H - T - B) * (1 - (v - v0) / (v1 - v0));
  const fig = document.createElement("figure");
  fig.className = "tchart";
  fig.dataset.measure = series.measure;
  const cap = document.createElement("figcaption");
  cap.textContent = `${series.measure}（${series.unit}）：` + series.points.map((p) => `${p.value_text}${series.unit}`).join(" → ");
  fig.appendChild(cap);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": cap.textContent }, fig);
  const legend = document.createElement("small");
  legend.className = "legend";
  legend.textContent = "下方色条为各文件的有效期：绿 现行有效 · 灰 已失效 · 红 已废止 · 蓝 尚未施行；点击圆点打开条款";
  fig.appendChild(legend);
  svgEl("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }, svg);
  svgEl("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }, svg);
  for (let yr = new Date(t0).getUTCFullYear() + 1; yr <= new Date(t1).getUTCFullYear(); yr++) {
    const tx = x(Date.UTC(yr, 0, 1));
    if (tx > L + 10 && tx < W - R) svgEl("text", { class: "tick", x: tx, y: H - B + 14, "text-anchor": "middle" }, svg, String(yr));
  }
  for (const v of [...new Set([Math.min(...vals), Math.max(...vals)])]) {
    svgEl("text", { class: "tick", x: L - 6, y: y(v) + 4, "text-anchor": "end" }, svg, `${+v.toFixed(2)}`);
  }
  let d = "";
  pts.forEach((p, i) => {
    const next = i + 1 < pts.length ? pts[i + 1].t : Math.max(t1, p.t);
    d += `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)} H${x(next).toFixed(1)} `;
    if (i + 1 < pts.length) d += `V${y(pts[i + 1].value).toFixed(1)} `;
  });
  svgEl("path", { class: "step", d: d.trim() }, svg);
  const seen = new Set();
  let row = 0;
  for (const p of pts) {  // validity spans, one row per document
    const e = p.e;
    if (!e || seen.has(e.document.id)) continue;
    seen.add(e.document.id);
    const from = e.in_force_from ? day(e.in_force_from) : p.t, until = e.in_force_until ? day(e.in_force_until) : t1;
    if (from > t1 || until < t0) continue;  // in force only outside the chart (a draft's 施行 to come)
    const yy = H - B + 24 + (row++ % 4) * 8;
    const span = svgEl("line", { class: `span s-${STATUS_CODE[e.validity_status] || "unknown"}`, x1: x(Math.max(from, t0)), y1: yy, x2: x(Math.min(until, t1)), y2: yy }, svg);
    svgEl("title", {}, span, `《${e.document.title || e.document.id}》 ${e.in_force_from || "?"} — ${e.in_force_until || "今"}（${e.validity_status}）`);
  }
  for (const p of pts) {
    const c = svgEl("circle", { class: "tpoint", cx: x(p.t).toFixed(1), cy: y(p.value).toFixed(1), r: 6, tabindex: 0,
      "data-doc": p.e ? p.e.document.id : "", "data-clause": p.clause_id, role: "button" }, svg);
    svgEl("title", {}, c, `${p.date} ${p.bound === "=" ? "" : p.bound}${p.value_text}${series.unit} · ${p.validity_status}${p.e ? " · 《" + (p.e.document.title || "") + "》" : ""}`);
    svgEl("text", { class: "label", x: x(p.t) + 4, y: y(p.value) - 8 }, svg, `${p.value_text}`);
  }
  return fig;
}

$("#timeline-go").addEventListener("click", () => { if ($("#q").value.trim()) run("timeline"); else $("#q").focus(); });
function openPoint(ev) {
  const pt = ev.target.closest && ev.target.closest(".tpoint");
  if (!pt) return;
  ev.preventDefault(); ev.stopPropagation();
  openDocument(pt.dataset.doc, pt.dataset.clause);
}
$("#results").addEventListener("click", openPoint, true);
$("#results").addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") openPoint(ev); });

loadFacets().then(() => {
  const p = new URLSearchParams(location.search);
  // a bare address keeps whatever was typed while the facets loaded
  if ([...p.keys()].length) applyState(p);
  if (p.get("q")) run(currentView(), false); else openFromUrl();
});
