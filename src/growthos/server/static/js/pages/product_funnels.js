// Funnel builder: steps (with per-step windows and property filters), a conversion window, exclusions and a
// breakdown, kept in the URL (steps=…&within=3=1h&where=2:key=value&exclude=Event:1-2&window=7d&breakdown=…);
// the result is asked of POST /api/product/funnel.

import { postJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatDuration, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { bindOptions, queryParams, suggestEvents, writeQuery } from "../query.js";
import { cell, sortableTable } from "../table.js";

const form = document.getElementById("funnel-form");
const stepList = document.getElementById("steps");
const exclusionList = document.getElementById("exclusions");
const windowSelect = document.getElementById("funnel-window");
const breakdownInput = document.getElementById("funnel-breakdown");
const stepTemplate = document.getElementById("step-template");
const exclusionTemplate = document.getElementById("exclusion-template");
const MAX_STEPS = 20;

/** The funnel the URL describes. */
function definition() {
  const params = queryParams();
  const steps = params.getAll("steps").filter(Boolean).map((event) => ({ event }));
  for (const item of params.getAll("within")) {
    const [number, duration] = item.split(/=(.*)/s);
    if (steps[Number(number) - 1] && duration) steps[Number(number) - 1].within = duration;
  }
  for (const item of params.getAll("where")) {
    const [number, condition] = item.split(/:(.*)/s);
    const [key, value] = (condition ?? "").split(/=(.*)/s);
    const step = steps[Number(number) - 1];
    if (step && key) step.where = { ...(step.where ?? {}), [key]: value ?? "" };
  }
  const exclusions = params.getAll("exclude").map((item) => {
    const cut = item.lastIndexOf(":");
    const [after, before] = item.slice(cut + 1).split("-").map(Number);
    return { event: item.slice(0, cut), after_step: after, before_step: before || null };
  }).filter((e) => e.event && e.after_step);
  return { steps, exclusions, window: params.get("window") || "7d", breakdown: params.get("breakdown") || "" };
}

function renumberExclusions() {
  const count = stepList.children.length;
  for (const row of exclusionList.children) {
    for (const [selector, first, last] of [[".exclusion-after", 1, count - 1], [".exclusion-before", 2, count]]) {
      const select = row.querySelector(selector);
      const keep = select.value || select.dataset.initial;
      const numbers = Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => String(first + i));
      select.replaceChildren(...numbers.map((n) => new Option(n, n)));
      select.value = numbers.includes(keep) ? keep : (selector === ".exclusion-after" ? numbers[0] : numbers.at(-1));
    }
  }
}

function addStep(step = {}) {
  if (stepList.children.length >= MAX_STEPS) return;
  const row = stepTemplate.content.firstElementChild.cloneNode(true);
  row.querySelector(".step-event").value = step.event ?? "";
  row.querySelector(".step-within").value = step.within ?? "";
  const [key, value] = Object.entries(step.where ?? {})[0] ?? [];
  row.querySelector(".step-where").value = key ? `${key}=${value}` : "";
  row.querySelector(".step-remove").addEventListener("click", () => {
    row.remove();
    renumberExclusions();
  });
  stepList.append(row);
  renumberExclusions();
}

function addExclusion(exclusion = {}) {
  const row = exclusionTemplate.content.firstElementChild.cloneNode(true);
  row.querySelector(".exclusion-event").value = exclusion.event ?? "";
  row.querySelector(".exclusion-after").dataset.initial = String(exclusion.after_step ?? 1);
  row.querySelector(".exclusion-before").dataset.initial = String(exclusion.before_step ?? (exclusion.after_step ?? 1) + 1);
  row.querySelector(".exclusion-remove").addEventListener("click", () => row.remove());
  exclusionList.append(row);
  renumberExclusions();
}

function showDefinition(def) {
  stepList.replaceChildren();
  exclusionList.replaceChildren();
  const steps = def.steps.length ? def.steps : [{}, {}];
  steps.forEach((step) => addStep(step));
  def.exclusions.forEach((e) => addExclusion(e));
  windowSelect.value = def.window;
  if (windowSelect.value !== def.window) {
    windowSelect.append(new Option(def.window, def.window));
    windowSelect.value = def.window;
  }
  breakdownInput.value = def.breakdown;
}

function writeDefinition() {
  const rows = [...stepList.children];
  writeQuery({
    steps: rows.map((row) => row.querySelector(".step-event").value.trim()),
    within: rows.map((row, i) => {
      const value = row.querySelector(".step-within").value.trim();
      return value && i > 0 ? `${i + 1}=${value}` : "";
    }),
    where: rows.map((row, i) => {
      const value = row.querySelector(".step-where").value.trim();
      return value ? `${i + 1}:${value}` : "";
    }),
    exclude: [...exclusionList.children].map((row) => {
      const event = row.querySelector(".exclusion-event").value.trim();
      const after = row.querySelector(".exclusion-after").value;
      const before = row.querySelector(".exclusion-before").value;
      return event && after ? `${event}:${after}-${before}` : "";
    }),
    window: windowSelect.value,
    breakdown: breakdownInput.value.trim(),
  });
}

async function load(range) {
  const def = definition();
  showDefinition(def);
  if (def.steps.length < 2) return { def, result: null };
  const body = { steps: def.steps, window: def.window, exclusions: def.exclusions, ...rangeParams(range) };
  if (def.breakdown) body.breakdown = def.breakdown;
  return { def, result: await postJSON("/api/product/funnel", body) };
}

function renderChart(group) {
  const accent = cssColor("--chart-1");
  drawChart(document.getElementById("funnel-chart"), {
    type: "bar",
    data: {
      labels: group.steps.map((s) => `${s.step}. ${s.event}`),
      datasets: [{ label: "People", data: group.steps.map((s) => s.people), backgroundColor: withAlpha(accent, 0.85),
        borderRadius: 3, maxBarThickness: 64 }],
    },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: {
        label: (item) => `${formatCount(item.raw)} people (${formatPercent(group.steps[item.dataIndex].conversion_from_first)} of the first step)`,
      } } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

function renderSteps(group) {
  document.querySelector("#funnel-table tbody").replaceChildren(...group.steps.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.key = String(s.step);
    tr.append(
      cell(String(s.step), { numeric: true }), cell(s.event), cell(formatCount(s.people), { numeric: true }),
      cell(formatPercent(s.conversion_from_previous), { numeric: true }),
      cell(formatPercent(s.conversion_from_first), { numeric: true }),
      cell(formatDuration(s.median_seconds_from_previous), { numeric: true }),
      cell(formatDuration(s.avg_seconds_from_previous), { numeric: true }),
      cell(formatCount(s.in_progress), { numeric: true }),
    );
    return tr;
  }));
}

let breakdownTable = null;

function renderBreakdown(result) {
  const card = document.getElementById("breakdown-card");
  card.hidden = !result.breakdown;
  if (!result.breakdown) return;
  document.getElementById("breakdown-name").textContent = result.breakdown;
  const steps = result.total.steps;
  const table = document.getElementById("breakdown-table");
  breakdownTable = sortableTable(table, [
    { key: "value", label: result.breakdown, value: (g) => g.value, cell: (g) => g.value },
    { key: "entered", label: "Entered", numeric: true, value: (g) => g.entered, cell: (g) => formatCount(g.entered) },
    ...steps.slice(1).map((s, i) => ({
      key: `step${s.step}`, label: `→ ${s.step}. ${s.event}`, numeric: true,
      value: (g) => g.steps[i + 1].conversion_from_first,
      cell: (g) => `${formatPercent(g.steps[i + 1].conversion_from_first)} (${formatCount(g.steps[i + 1].people)})`,
    })),
    { key: "in_progress", label: "In progress", numeric: true, value: (g) => g.in_progress,
      cell: (g) => formatCount(g.in_progress) },
  ], (g) => g.value);
  breakdownTable.setRows(result.groups);
}

function render({ result }) {
  document.getElementById("funnel-empty").hidden = Boolean(result);
  document.getElementById("funnel-results").hidden = !result;
  if (!result) return;
  showResolvedRange(result.start, result.end);
  const total = result.total;
  document.getElementById("funnel-headline").textContent =
    `${formatCount(total.entered)} entered, ${formatCount(total.converted)} converted ` +
    `(${formatPercent(total.steps.at(-1).conversion_from_first)}); ${formatCount(total.in_progress)} still in ` +
    `their window, ${formatCount(total.excluded)} excluded`;
  renderChart(total);
  renderSteps(total);
  renderBreakdown(result);
}

document.getElementById("add-step").addEventListener("click", () => addStep());
document.getElementById("add-exclusion").addEventListener("click", () => addExclusion());
suggestEvents(document.getElementById("event-names")).catch(() => {});
const refresh = startPage({ load, render });
bindOptions(form, writeDefinition, refresh);
