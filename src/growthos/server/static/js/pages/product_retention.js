// Retention: cohorts of a first "start" event and the share returning in each later day or week, as a curve
// (all cohorts, weighted by size) and a cohort grid. The question lives in the URL beside the range.

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatDay, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { bindOptions, queryParams, suggestEvents, writeQuery } from "../query.js";
import { cell } from "../table.js";

const form = document.getElementById("retention-options");
const startInput = document.getElementById("retention-start");
const returnInput = document.getElementById("retention-return");
const intervalSelect = document.getElementById("retention-interval");
const periodsInput = document.getElementById("retention-periods");
const namesReady = suggestEvents(document.getElementById("event-names"));

async function question() {
  const params = queryParams();
  // Without a question in the URL: the most frequent event, as both start and return ("do they come back to it?").
  const fallback = params.get("start_event") && params.get("return_event") ? null : (await namesReady)[0];
  return {
    start_event: params.get("start_event") || fallback,
    return_event: params.get("return_event") || fallback,
    interval: params.get("interval") === "day" ? "day" : "week",
    periods: params.get("periods") || "8",
  };
}

async function load(range) {
  const q = await question();
  startInput.value = q.start_event ?? "";
  returnInput.value = q.return_event ?? "";
  intervalSelect.value = q.interval;
  periodsInput.value = q.periods;
  if (!q.start_event) return { data: null };
  return { data: await getJSON("/api/product/retention", { ...rangeParams(range), ...q }) };
}

const unit = (data) => (data.interval === "day" ? "Day" : "Week");

function renderCurve(data) {
  const accent = cssColor("--chart-1");
  const periods = data.overall.periods;
  drawChart(document.getElementById("retention-curve"), {
    type: "line",
    data: {
      labels: periods.map((p) => `${unit(data)} ${p.period}`),
      datasets: [{ label: "Returning", data: periods.map((p) => p.rate), borderColor: accent,
        backgroundColor: withAlpha(accent, 0.14), fill: "origin", borderWidth: 2, pointRadius: 3, tension: 0.2 }],
    },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: {
        label: (item) => {
          const p = periods[item.dataIndex];
          return `${formatPercent(p.rate)} (${formatCount(p.returning)} of ${formatCount(p.eligible)} people)`;
        },
      } } },
      scales: { x: { grid: { display: false } },
        y: { beginAtZero: true, suggestedMax: 1, ticks: { callback: (v) => formatPercent(v, 0) } } },
    },
  });
  const first = periods[0];
  document.getElementById("retention-headline").textContent = first
    ? `${formatCount(data.overall.size)} people in ${data.cohorts.length} cohorts; ${formatPercent(first.rate)} ` +
      `come back in ${unit(data).toLowerCase()} 1`
    : "";
}

function heat(td, value) {
  const alpha = 0.06 + 0.84 * Math.min(value, 1);
  td.style.backgroundColor = `rgba(61, 90, 254, ${alpha.toFixed(3)})`;
  if (alpha > 0.5) td.style.color = "#ffffff";
}

function renderGrid(data) {
  const table = document.getElementById("retention-grid");
  const count = data.overall.periods.length;
  const head = ["Cohort", "People", ...Array.from({ length: count }, (_, i) => `${unit(data)} ${i + 1}`)];
  table.tHead.rows[0].replaceChildren(...head.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i > 0) th.className = "num";
    return th;
  }));
  const rows = [...data.cohorts, { ...data.overall, cohort: null }];
  table.tBodies[0].replaceChildren(...rows.map((cohort) => {
    const tr = document.createElement("tr");
    tr.dataset.key = cohort.cohort ?? "all";
    if (cohort.cohort === null) tr.className = "subtotal";
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = cohort.cohort === null ? "All cohorts" : `${data.interval === "week" ? "Week of " : ""}${
      formatDay(cohort.cohort)}`;
    tr.append(name, cell(formatCount(cohort.size), { numeric: true }));
    for (const p of cohort.periods) {
      if (p.rate === null) {
        const td = cell("", { className: "cell empty" });
        td.title = `Not complete yet: ${formatCount(p.returning)} returned so far`;
        tr.append(td);
        continue;
      }
      const td = cell(formatPercent(p.rate), { className: "cell" });
      td.dataset.value = String(p.rate);
      td.title = `${formatCount(p.returning)} of ${formatCount(p.eligible)} people`;
      heat(td, p.rate);
      tr.append(td);
    }
    return tr;
  }));
}

function render({ data }) {
  if (!data) return;
  showResolvedRange(data.start, data.end);
  renderCurve(data);
  renderGrid(data);
}

const refresh = startPage({ load, render });
bindOptions(form, () => writeQuery({
  start_event: startInput.value.trim(), return_event: returnInput.value.trim(), interval: intervalSelect.value,
  periods: periodsInput.value,
}), refresh);
