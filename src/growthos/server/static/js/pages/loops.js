// Loops: every growth loop of the range — a summary table, then per loop its metric cards, a diagram of its steps
// (SVG boxes and arrows, each arrow labelled with the step's conversion, bottleneck steps in red, the arrow back to
// the first step labelled with the return rate) and its bottlenecks with their likely causes and recommendations.

import { getJSON } from "../api.js";
import { formatCount, formatMoney, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { cell, pill } from "../table.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX = { width: 196, height: 74, gap: 78, top: 16, left: 10 };
const FITS = 23; // characters of a 13px bold title that fit a box (the 11px detail: 28)

function span(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds >= 86400) return `${(seconds / 86400).toFixed(1)} d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 60)} min`;
}

const clip = (text, size) => (text.length > size ? `${text.slice(0, size - 1)}…` : text);

const number = (value, digits) => (value === null || value === undefined ? "—" : value.toFixed(digits));

function svg(name, attributes = {}, text = null) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== null) element.textContent = text;
  return element;
}

/** The cards of a loop: [name, label, value, detail]. */
function cards(loop, m) {
  const out = [
    ["starts", "Cycles started", formatCount(m.starts), `${formatCount(m.in_progress)} in progress`],
    ["completions", "Completed", formatCount(m.completions), `${formatPercent(m.completion_rate)} of closed cycles`],
    ["cycle_time", "Median cycle time", span(m.median_cycle_time_s), `mean ${span(m.avg_cycle_time_s)}`],
    ["efficiency", "Efficiency", number(m.efficiency, 1), "of 100"],
  ];
  if (loop.type === "viral") {
    out.splice(3, 0, ["k_factor", "Viral coefficient K", number(m.k_factor, 3),
      `${number(m.invites_per_user, 3)} invites per user × ${formatPercent(m.invite_conversion)}`]);
  }
  if (loop.value) {
    const value = loop.value.property === "mrr" ? formatMoney(m.loop_value) : number(m.loop_value, 2);
    out.splice(out.length - 1, 0, ["loop_value", "Loop value", value, `${m.value_label || loop.value.event} per `
      + "completed cycle"]);
  }
  return out;
}

function cardList(loop, m) {
  const list = document.createElement("ul");
  list.className = "kpi-grid";
  for (const [name, label, value, detail] of cards(loop, m)) {
    const item = document.createElement("li");
    item.className = "card kpi-card";
    item.dataset.card = name;
    const head = document.createElement("h3");
    head.className = "kpi-label";
    head.textContent = label;
    const strong = document.createElement("p");
    strong.className = "kpi-value num";
    strong.dataset.role = "value";
    strong.textContent = value;
    const small = document.createElement("p");
    small.className = "muted";
    small.textContent = detail;
    item.append(head, strong, small);
    list.append(item);
  }
  return list;
}

function arrow(group, x1, y1, x2, y2) {
  group.append(svg("line", { class: "edge", x1, y1, x2: x2 - 7, y2 }));
  group.append(svg("path", { class: "arrow-head", d: `M${x2},${y2} l-9,-5 l0,10 z` }));
}

/** The loop's steps as boxes left to right, arrows with conversions, and the arrow back to the first step. */
function diagram(loop, m) {
  const steps = m.steps;
  const width = BOX.left * 2 + steps.length * BOX.width + (steps.length - 1) * BOX.gap;
  const closes = loop.steps[loop.steps.length - 1].next.includes(loop.steps[0].name);
  const height = BOX.top + BOX.height + (closes ? 64 : 16);
  const root = svg("svg", { class: "loop-diagram", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `${loop.label}: ${steps.map((s) => s.label).join(" → ")}` });
  root.style.maxWidth = `${width}px`;
  steps.forEach((step, i) => {
    const x = BOX.left + i * (BOX.width + BOX.gap);
    const group = svg("g", { class: "loop-step", "data-step": step.name, "data-bottleneck": String(step.bottleneck),
      "data-reached": String(step.reached), "data-conversion": step.conversion === null ? "" : String(step.conversion) });
    group.append(svg("rect", { class: "step-box", x, y: BOX.top, width: BOX.width, height: BOX.height, rx: 9 }));
    group.append(svg("text", { class: "step-title", x: x + 10, y: BOX.top + 22 },
      clip(`${i + 1}. ${step.label}`, FITS)));
    group.append(svg("text", { class: "step-detail", x: x + 10, y: BOX.top + 41 },
      clip(step.events.join(" | "), FITS + 5)));
    group.append(svg("text", { class: "step-detail", x: x + 10, y: BOX.top + 60 },
      `${formatCount(step.reached)} reached${step.bottleneck ? " · bottleneck" : ""}`));
    group.append(svg("title", {}, `${step.label}: ${formatCount(step.converted)} of ${formatCount(step.entered)} `
      + `closed cycles (${formatPercent(step.conversion)}); median ${span(step.median_time_s)} after the step before`));
    root.append(group);
    if (i > 0) {
      const edge = svg("g", { class: "loop-edge", "data-to": step.name });
      const x1 = x - BOX.gap;
      const y = BOX.top + BOX.height / 2;
      arrow(edge, x1, y, x, y);
      edge.append(svg("text", { class: `edge-label${step.bottleneck ? " bad" : ""}`, x: x1 + BOX.gap / 2, y: y - 8,
        "text-anchor": "middle" }, formatPercent(step.conversion)));
      root.append(edge);
    }
  });
  if (closes) {
    const first = BOX.left + BOX.width / 2;
    const last = BOX.left + (steps.length - 1) * (BOX.width + BOX.gap) + BOX.width / 2;
    const bottom = BOX.top + BOX.height;
    const edge = svg("g", { class: "loop-edge loop-return", "data-to": steps[0].name });
    edge.append(svg("path", { class: "edge", d: `M${last},${bottom} C${last},${bottom + 50} ${first},${bottom + 50} `
      + `${first},${bottom + 9}` }));
    edge.append(svg("path", { class: "arrow-head", d: `M${first},${bottom} l-5,9 l10,0 z` }));
    edge.append(svg("text", { class: "edge-label", x: (first + last) / 2, y: bottom + 52, "text-anchor": "middle" },
      `${formatPercent(m.return_rate)} start again`));
    root.append(edge);
  }
  return root;
}

function bottleneckList(bottlenecks) {
  const list = document.createElement("ul");
  list.className = "bottleneck-list";
  for (const b of bottlenecks) {
    const item = document.createElement("li");
    item.className = "bottleneck";
    item.dataset.step = b.step;
    const head = document.createElement("h4");
    head.textContent = `${b.label}: ${formatPercent(b.conversion)} of ${formatCount(b.entered)} (below `
      + `${formatPercent(b.threshold, 0)}); at the threshold +${b.extra_completions.toFixed(1)} completed cycles`;
    const advice = document.createElement("ul");
    for (const c of b.causes) {
      const li = document.createElement("li");
      li.textContent = `Likely cause: ${c.dimension.replace("_", " ")} ${c.value} converts `
        + `${formatPercent(c.conversion)} against ${formatPercent(c.rest_conversion)} (${formatCount(c.entered)} cycles)`;
      advice.append(li);
    }
    for (const text of b.recommendations) {
      const li = document.createElement("li");
      li.className = "recommendation";
      li.textContent = text;
      advice.append(li);
    }
    item.append(head, advice);
    list.append(item);
  }
  return list;
}

function loopCard(item) {
  const { loop, metrics: m, bottlenecks } = item;
  const section = document.createElement("section");
  section.className = "card loop-card";
  section.dataset.loop = loop.name;
  const head = document.createElement("div");
  head.className = "card-head";
  const title = document.createElement("h2");
  title.textContent = loop.label;
  const about = document.createElement("p");
  about.className = "muted";
  about.textContent = `${loop.type} loop · ${loop.status} · window ${loop.window} · from ${loop.source}`;
  head.append(title, about);
  section.append(head, cardList(loop, m), diagram(loop, m));
  if (bottlenecks.length) section.append(bottleneckList(bottlenecks));
  else {
    const none = document.createElement("p");
    none.className = "muted";
    none.textContent = `No step converts below ${formatPercent(loop.bottleneck_below, 0)}.`;
    section.append(none);
  }
  return section;
}

function renderTable(loops) {
  const table = document.getElementById("loops-table");
  const headers = ["Loop", "Type", "Started", "Completed", "Completion rate", "Median cycle", "K", "Efficiency",
    "Bottlenecks"];
  table.tHead.rows[0].replaceChildren(...headers.map((text, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    if (i >= 2 && i < 8) th.className = "num";
    return th;
  }));
  table.tBodies[0].replaceChildren(...loops.map(({ loop, summary: s, bottlenecks }) => {
    const row = document.createElement("tr");
    row.dataset.loop = loop.name;
    const steps = bottlenecks.length ? bottlenecks.map((b) => b.label).join(", ") : "—";
    row.append(cell(loop.label), cell(pill(loop.type, "paid")), cell(formatCount(s.starts), { numeric: true }),
      cell(formatCount(s.completions), { numeric: true }), cell(formatPercent(s.completion_rate), { numeric: true }),
      cell(span(s.median_cycle_time_s), { numeric: true }), cell(number(s.k_factor, 3), { numeric: true }),
      cell(number(s.efficiency, 1), { numeric: true }), cell(steps));
    return row;
  }));
}

async function load(range) {
  return getJSON("/api/loops/overview", rangeParams(range));
}

function render(data) {
  showResolvedRange(data.range.from, data.range.to);
  document.getElementById("loops-empty").hidden = data.loops.length > 0;
  renderTable(data.loops);
  document.getElementById("loop-cards").replaceChildren(...data.loops.map(loopCard));
}

startPage({ load, render });
