// Cohorts: retention and LTV curves by months since the first order, and the retention heatmap.

import { getJSON } from "../api.js";
import { drawChart, sequentialColors } from "../charts.js";
import { formatCount, formatMoney, formatMonth, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams } from "../range.js";
import { cell } from "../table.js";

async function load(range) {
  return getJSON("/api/metrics/cohorts", rangeParams(range, null));
}

function curveChart(canvas, cohorts, key, format) {
  const colors = sequentialColors(cohorts.length);
  const months = Math.max(0, ...cohorts.map((c) => c[key].length));
  drawChart(canvas, {
    type: "line",
    data: {
      labels: Array.from({ length: months }, (_, i) => `M${i}`),
      datasets: cohorts.map((cohort, i) => ({
        label: formatMonth(cohort.cohort_month),
        data: cohort[key],
        borderColor: colors[i],
        backgroundColor: colors[i],
        borderWidth: 1.6,
        pointRadius: 0,
        pointHoverRadius: 3,
        tension: 0.25,
        // A month not yet over is drawn dashed: its value will still grow.
        segment: { borderDash: (ctx) => (cohort.complete[ctx.p1DataIndex] === false ? [4, 4] : undefined) },
      })),
    },
    options: {
      interaction: { mode: "nearest", intersect: false },
      plugins: {
        legend: { position: "right", labels: { boxWidth: 10, boxHeight: 10, font: { size: 11 } } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.raw)}` } },
      },
      scales: {
        x: { title: { display: true, text: "Months since first order" }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { callback: (value) => format(value) } },
      },
    },
  });
}

/** Background from white to the accent by value (0..max); dark cells get white text. */
function heat(td, value, max) {
  const share = max > 0 ? Math.min(value / max, 1) : 0;
  const alpha = 0.06 + 0.84 * share;
  td.style.backgroundColor = `rgba(61, 90, 254, ${alpha.toFixed(3)})`;
  if (alpha > 0.5) td.style.color = "#ffffff";
}

function renderTable(cohorts) {
  const table = document.getElementById("cohort-table");
  const months = Math.max(0, ...cohorts.map((c) => c.retention.length));
  const later = cohorts.flatMap((c) => c.retention.slice(1)).filter((v) => v !== null);
  const max = Math.max(0, ...later);
  const head = ["Cohort", "Customers", "CAC", "Payback", ...Array.from({ length: months }, (_, i) => `M${i}`)];
  table.tHead.rows[0].replaceChildren(...head.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i > 0) th.className = "num";
    if (i > 3) th.title = `Month ${i - 4} after the first order`;
    return th;
  }));
  table.tBodies[0].replaceChildren(...cohorts.map((cohort) => {
    const tr = document.createElement("tr");
    tr.dataset.key = cohort.cohort_month;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = formatMonth(cohort.cohort_month);
    tr.append(
      name,
      cell(formatCount(cohort.customers), { numeric: true }),
      cell(formatMoney(cohort.cac), { numeric: true }),
      cell(cohort.payback_month === null ? "—" : `M${cohort.payback_month}`, { numeric: true }),
    );
    for (let i = 0; i < months; i += 1) {
      const value = cohort.retention[i];
      if (value === undefined || value === null) {
        tr.append(cell("", { className: "cell empty" }));
        continue;
      }
      const td = cell(formatPercent(value), { className: "cell" });
      td.dataset.value = String(value);
      if (i > 0) heat(td, value, max);
      if (cohort.complete[i] === false) {
        td.classList.add("incomplete");
        td.title = "This month is not complete yet";
      }
      tr.append(td);
    }
    return tr;
  }));
}

function render(data) {
  const cohorts = data.cohorts;
  curveChart(document.getElementById("retention-chart"), cohorts, "retention", (v) => formatPercent(v, 0));
  curveChart(document.getElementById("ltv-chart"), cohorts, "ltv", (v) => formatMoney(v, 0));
  renderTable(cohorts);
}

startPage({ load, render });
