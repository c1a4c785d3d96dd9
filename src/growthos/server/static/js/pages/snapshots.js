// Snapshots: the stored snapshots; pick two (default: the previous and the latest) to see their diff — the
// health score, every metric's values, change, trend (by polarity) and significance (BH q-value), and the
// insights ranked by impact with their recommendations, and one breakdown (channel, campaign, customer segment,
// traffic source or product feature) of a chosen metric side by side. Admins can take a snapshot of a complete
// period. The pair, breakdown and metric live in the URL (?a=…&b=…&by=…&metric=…).

import { catalogue, getJSON, postJSON } from "../api.js";
import { formatChange, formatDate, formatValue, trend } from "../format.js";
import { startPage, toast } from "../page.js";
import { cell, sortableTable } from "../table.js";

const timestamp = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });
const when = (iso) => (iso ? `${timestamp.format(new Date(iso))} UTC` : "—");

// The pair chosen by the user (ids as strings); null: the API's default (previous vs latest).
const params = new URLSearchParams(window.location.search);
const chosen = { a: params.get("a"), b: params.get("b"), by: params.get("by"), metric: params.get("metric") };

function remember(name, value) {
  chosen[name] = value;
  const url = new URL(window.location.href);
  if (value) url.searchParams.set(name, value);
  else url.searchParams.delete(name);
  window.history.replaceState(null, "", url);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const TREND = { improving: "good", declining: "bad", stable: "neutral" };

async function load() {
  const [meta, list] = await Promise.all([catalogue(), getJSON("/api/snapshots", { limit: 200 })]);
  const snapshots = list.snapshots;
  let diff = null;
  if (snapshots.length >= 2) {
    const ids = new Set(snapshots.map((s) => String(s.id)));
    const [previous, latest] = defaultPair(snapshots);
    const a = ids.has(chosen.a) ? chosen.a : previous && String(previous.id);
    const b = ids.has(chosen.b) ? chosen.b : latest && String(latest.id);
    if (a && b) diff = await getJSON("/api/snapshots/diff", { a, b });
  }
  return { meta, snapshots, diff };
}

// The API's `previous` and `latest`: the snapshot of the most recent period (the newest taken of it) and
// the newest of the period before it, of the same kind (null when there is none).
function defaultPair(snapshots) {
  const key = (s) => [s.period_end, s.taken_at, String(s.id).padStart(12, "0")].join(" ");
  const newestFirst = [...snapshots].sort((x, y) => (key(x) < key(y) ? 1 : -1));
  const latest = newestFirst[0];
  const previous = newestFirst.find(
    (s) => s.period_kind === latest.period_kind && s.period_end < latest.period_start) ?? null;
  return [previous, latest];
}

function periodText(s) {
  return `${s.period_kind} ${formatDate(s.period_start)} – ${formatDate(s.period_end)}`;
}

function radio(name, snapshot, checked) {
  const label = element("label", "pick");
  const input = document.createElement("input");
  input.type = "radio";
  input.name = name;
  input.value = String(snapshot.id);
  input.checked = checked;
  input.addEventListener("change", () => {
    remember(name, input.value);
    refresh();
  });
  label.append(input, element("span", "visually-hidden", `${name === "a" ? "Base" : "Compared"}: snapshot ${snapshot.id}`));
  return label;
}

function renderList(snapshots, diff) {
  const body = document.querySelector("#snapshots-table tbody");
  if (!snapshots.length) {
    const tr = document.createElement("tr");
    const td = cell("No snapshots yet: take one (admins) or run `growthos snapshot create --period week`.",
      { className: "empty" });
    td.colSpan = 7;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...snapshots.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.key = String(s.id);
    tr.append(cell(String(s.id), { numeric: true }), cell(s.period_kind), cell(s.period_start), cell(s.period_end),
      cell(when(s.taken_at)));
    const a = cell(radio("a", s, diff?.a.id === s.id));
    const b = cell(radio("b", s, diff?.b.id === s.id));
    tr.append(a, b);
    return tr;
  }));
}

function qText(row) {
  if (row.q_value === null || row.q_value === undefined) return "—";
  return row.q_value < 0.0001 ? "<0.0001" : row.q_value.toPrecision(2);
}

function significance(row, alpha) {
  if (row.basis !== "test") return row.moved ? "material change (untested)" : "untested";
  return row.significant ? `significant (q < ${alpha})` : "not significant";
}

function renderDiff(meta, diff) {
  document.getElementById("diff-empty").hidden = Boolean(diff);
  document.getElementById("diff-body").hidden = !diff;
  if (!diff) {
    document.getElementById("diff-pair").textContent = "";
    return;
  }
  document.getElementById("diff-pair").textContent =
    `A: #${diff.a.id} ${periodText(diff.a)} → B: #${diff.b.id} ${periodText(diff.b)}`;
  const score = document.getElementById("health-score");
  score.textContent = String(diff.health.score);
  score.dataset.score = String(diff.health.score);
  document.getElementById("health-formula").textContent = diff.health.formula;

  const body = document.querySelector("#diff-table tbody");
  body.replaceChildren(...diff.metrics.map((row) => {
    const metric = meta.get(row.name) ?? { unit: row.unit, decimals: row.unit === "count" ? 0 : 2,
      polarity: row.polarity };
    const tr = document.createElement("tr");
    tr.dataset.key = row.name;
    tr.dataset.trend = row.trend;
    const name = element("th", "", row.label);
    name.scope = "row";
    const change = element("span", "change");
    change.dataset.trend = row.direction === "flat" || !row.change ? "none" : (TREND[row.trend] ?? "neutral");
    const arrow = element("span", "arrow", row.change > 0 ? "▲" : row.change < 0 ? "▼" : "");
    arrow.setAttribute("aria-hidden", "true");
    change.append(arrow, row.trend);
    const relative = row.relative_change === null || row.relative_change === undefined
      ? (row.relative_change_reason ?? "—") : formatChange(row.relative_change);
    tr.append(name, cell(formatValue(metric, row.a), { numeric: true }), cell(formatValue(metric, row.b), { numeric: true }),
      cell(relative, { numeric: true }), cell(change), cell(qText(row), { numeric: true }),
      cell(significance(row, diff.alpha)));
    return tr;
  }));

  const insights = document.getElementById("insights");
  insights.replaceChildren(...diff.insights.map((insight) => {
    const li = element("li", "insight");
    li.dataset.metric = insight.metric;
    const head = element("p", "insight-headline");
    const badge = element("span", "change");
    badge.dataset.trend = TREND[insight.trend] ?? "neutral";
    badge.textContent = insight.trend;
    head.append(badge, " ", insight.headline);
    li.append(head, element("p", "insight-recommendation", insight.recommendation));
    return li;
  }));
  document.getElementById("insights-empty").hidden = diff.insights.length > 0;
}

const BREAKDOWN_NAMES = { channel: "Channel", campaign: "Campaign", segment: "Customer segment",
  traffic_source: "Traffic source", feature_usage: "Feature" };
// A breakdown column's format as the catalogue's unit, for formatValue.
const FORMAT_UNITS = { currency: { unit: "currency", decimals: 2 }, integer: { unit: "count", decimals: 0 },
  percent: { unit: "ratio", decimals: 3 }, multiple: { unit: "multiple", decimals: 2 } };

let breakdownTable = null;
let shownBreakdown = null;

function options(select, entries, selected) {
  select.replaceChildren(...entries.map(([value, label]) => {
    const option = element("option", "", label);
    option.value = value;
    option.selected = value === selected;
    return option;
  }));
}

function renderBreakdown(meta, breakdowns) {
  shownBreakdown = { meta, breakdowns };
  const names = Object.keys(breakdowns ?? {});
  const by = names.includes(chosen.by) ? chosen.by : names[0];
  options(document.getElementById("breakdown-by"), names.map((n) => [n, BREAKDOWN_NAMES[n] ?? n]), by);
  const data = breakdowns?.[by] ?? { columns: [], rows: [] };
  const column = data.columns.find((c) => c.name === chosen.metric) ?? data.columns[0];
  options(document.getElementById("breakdown-metric"), data.columns.map((c) => [c.name, c.label ?? c.name]),
    column?.name);
  document.getElementById("breakdown-empty").hidden = data.rows.length > 0;
  if (!column) return;
  const metric = meta.get(column.name) ?? { ...FORMAT_UNITS[column.format], polarity: column.polarity };
  const polarity = { polarity: column.polarity ?? metric.polarity };
  const value = (side) => (row) => row[side][column.name];
  const change = (row) => {
    const span = element("span", "change", formatChange(row.relative_change[column.name]));
    span.dataset.trend = trend(polarity, row.change[column.name]);
    return span;
  };
  const table = document.getElementById("breakdown-table");
  breakdownTable = sortableTable(table, [
    { key: "label", label: BREAKDOWN_NAMES[by] ?? by, value: (row) => row.label, cell: (row) => row.label },
    { key: "a", label: "A", numeric: true, value: value("a"), cell: (row) => formatValue(metric, value("a")(row)) },
    { key: "b", label: "B", numeric: true, value: value("b"), cell: (row) => formatValue(metric, value("b")(row)) },
    { key: "change", label: "Change", numeric: true, value: (row) => row.change[column.name],
      cell: (row) => formatValue(metric, row.change[column.name]) },
    { key: "relative", label: "Change %", numeric: true, value: (row) => row.relative_change[column.name],
      cell: change },
  ], (row) => String(row.key));
  breakdownTable.setRows(data.rows);
}

for (const [id, name] of [["breakdown-by", "by"], ["breakdown-metric", "metric"]]) {
  document.getElementById(id).addEventListener("change", (event) => {
    remember(name, event.target.value);
    if (name === "by") remember("metric", null);
    if (shownBreakdown) renderBreakdown(shownBreakdown.meta, shownBreakdown.breakdowns);
  });
}

function render({ meta, snapshots, diff }) {
  renderList(snapshots, diff);
  renderDiff(meta, diff);
  if (diff) renderBreakdown(meta, diff.breakdowns);
}

const refresh = startPage({ load, render });

document.getElementById("snapshot-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("take-snapshot");
  const period = document.getElementById("snapshot-period").value;
  button.disabled = true;
  try {
    const saved = await postJSON("/api/snapshots", { period });
    toast(`Snapshot #${saved.id ?? ""} of the ${period} ${saved.period_start} – ${saved.period_end} taken.`);
    remember("a", null);
    remember("b", null);
    await refresh();
  } catch (error) {
    toast(`Could not take the snapshot: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});
