"use strict";
const $ = (sel) => document.querySelector(sel);

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
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

function crumb(path) {
  return `<div class="crumb">${(path || []).map((p) => `<span>${esc(p)}</span>`).join("")}</div>`;
}

function hitHtml(h) {
  const d = h.document, e = h.explanation;
  const meta = [d.title && `<b>${esc(d.title)}</b>`, d.doc_number && esc(d.doc_number), d.date && esc(d.date),
                d.issuer && esc(d.issuer)].filter(Boolean).join(" · ");
  const draft = d.status === "draft" ? '<span class="badge">征求意见稿</span>' : "";
  const part = h.part_count > 1 ? ` (${h.part}/${h.part_count})` : "";
  return `<article class="hit" data-doc="${esc(d.id)}" data-clause="${esc(h.clause_id)}">
    ${crumb(h.heading_path)}<div class="text">${marked(h.text, h.highlights)}</div>
    <div class="meta">${meta}${draft}${part}</div>
    <details class="why"><summary>为何匹配 score ${h.score.toFixed(3)}</summary>
      ${esc(e.fusion)} · 词法 #${e.lexical_rank ?? "–"} (${e.lexical_score}) · 语义 #${e.dense_rank ?? "–"} (${e.dense_score})
      ${e.matched_terms.length ? " · 命中: " + esc(e.matched_terms.join("、")) : ""}
      ${e.expansions.length ? " · 扩展: " + esc(e.expansions.join("、")) : ""}
      ${e.query_adapter ? " · 语义查询经法规适配" : ""}</details>
  </article>`;
}

function params() {
  const p = new URLSearchParams();
  p.set("q", $("#q").value.trim());
  p.set("top_k", "20");
  const j = $("#f-jurisdiction").value; if (j) p.set("jurisdiction", j);
  const t = $("#f-doc-type").value; if (t) p.set("doc_type", t);
  const a = $("#f-date-from").value; if (a) p.set("date_from", a);
  const b = $("#f-date-to").value; if (b) p.set("date_to", b);
  if (!$("#f-drafts").checked) p.set("include_drafts", "false");
  if ($("#f-group").checked) p.set("group_by", "jurisdiction");
  return p;
}

let latest = 0;  // only the newest request may paint the results (older ones can finish later)

async function runSearch() {
  const p = params();
  if (!p.get("q")) return;
  const mine = ++latest;
  history.replaceState(null, "", "?" + p.toString());
  const status = $("#status");
  status.className = ""; status.textContent = "检索中…";
  let data;
  try {
    let r = await fetch("/api/search?" + p.toString());
    if (r.status === 503) {  // busy: wait as the server asks, then try once more
      await new Promise((ok) => setTimeout(ok, 1000 * Number(r.headers.get("Retry-After") || 1)));
      if (mine !== latest) return;
      r = await fetch("/api/search?" + p.toString());
    }
    data = await r.json();
    if (mine !== latest) return;
    if (!r.ok) throw new Error(data.detail || r.statusText);
  } catch (err) {
    if (mine !== latest) return;
    status.className = "error"; status.textContent = "出错：" + err.message; $("#results").innerHTML = ""; return;
  }
  const groups = data.groups || [{ jurisdiction: null, hits: data.hits }];
  status.textContent = `${data.hits.length} 条结果 · ${data.groups ? data.groups.length + " 个地区 · " : ""}${data.took_ms} ms`;
  if ((data.notices || []).length) { status.className = "notice"; status.textContent += " · " + data.notices.join("；"); }
  $("#results").innerHTML = groups.map((g) => `<section class="group" data-jurisdiction="${esc(g.jurisdiction || "")}">
      ${g.jurisdiction ? `<h2>${esc(g.jurisdiction)}</h2>` : ""}${g.hits.map(hitHtml).join("")}</section>`).join("")
    || '<p>没有找到匹配的条款。</p>';
}

async function openDocument(docId, clauseId) {
  const r = await fetch("/api/documents/" + encodeURIComponent(docId));
  const d = await r.json();
  if (!r.ok) { $("#status").textContent = "出错：" + d.detail; return; }
  const m = d.document;
  $("#doc-body").innerHTML = `<h2>${esc(m.title || "")}</h2>
    <div class="meta">${[m.jurisdiction, m.issuer, m.doc_number, m.date, m.doc_type, m.status === "draft" ? "征求意见稿" : ""]
      .filter(Boolean).map(esc).join(" · ")}</div>
    ${d.clauses.map((c) => `<div class="clause" id="${esc(c.clause_id)}"><span class="path">${esc(c.heading_path.join(" › "))}</span>${esc(c.text)}</div>`).join("")}`;
  $("#doc-view").hidden = false;
  const target = document.getElementById(clauseId);
  if (target) { target.classList.add("target"); target.scrollIntoView({ block: "center" }); }
}

async function loadFacets() {
  try {
    const s = await (await fetch("/api/stats")).json();
    const provinces = new Set();
    for (const j of s.jurisdictions) { provinces.add(j.jurisdiction.split("/")[0]); provinces.add(j.jurisdiction); }
    $("#f-jurisdiction").insertAdjacentHTML("beforeend",
      [...provinces].sort().map((j) => `<option value="${esc(j)}">${esc(j.replace("/", " › "))}</option>`).join(""));
    $("#f-doc-type").insertAdjacentHTML("beforeend",
      Object.keys(s.doc_types).sort().map((t) => `<option value="${esc(t)}">${esc(t)}</option>`).join(""));
  } catch (err) { /* the page still searches without facets */ }
}

$("#search-form").addEventListener("submit", (ev) => { ev.preventDefault(); runSearch(); });
for (const id of ["#f-jurisdiction", "#f-doc-type", "#f-date-from", "#f-date-to", "#f-drafts", "#f-group"]) {
  $(id).addEventListener("change", () => { if ($("#q").value.trim()) runSearch(); });
}
$("#results").addEventListener("click", (ev) => {
  if (ev.target.closest("summary")) return;
  const hit = ev.target.closest(".hit");
  if (hit) openDocument(hit.dataset.doc, hit.dataset.clause);
});
$("#doc-close").addEventListener("click", () => { $("#doc-view").hidden = true; });

loadFacets().then(() => {
  const p = new URLSearchParams(location.search);
  if (p.get("q")) { $("#q").value = p.get("q"); runSearch(); }
});
