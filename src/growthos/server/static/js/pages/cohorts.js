// Cohorts: retention and LTV curves by months since the first order, the retention heatmap, and the predicted
// LTV (BG/NBD + Gamma-Gamma from /api/ltv) beside the observed cohort LTV.

import { getJSON } from "../api.js";
import { cssColor, drawChart, sequentialColors } from "../charts.js";
import { formatCount, formatDay, formatMoney, formatMonth, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams } from "../range.js";
import { cell } from "../table.js";

const HORIZON_MONTHS = 12;

async function load(range) {
  const [cohorts, ltv] = await Promise.all([
    getJSON("/api/metrics/cohorts", rangeParams(range, null)),
    // The prediction may be impossible (too few repeat customers): the cohorts still show.
    getJSON("/api/ltv", { horizon: HORIZON_MONTHS }).catch((error) => ({ error: error.message })),
  ]);
  return { ...cohorts, ltv };
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

function setCard(name, value, detail) {
  const card = document.querySelector(`#ltv-cards [data-card="${name}"]`);
  card.querySelector("[data-role=value]").textContent = value;
  card.querySelector("[data-role=detail]").textContent = detail;
}

function fillTable(id, head, rows) {
  const table = document.getElementById(id);
  table.tHead.rows[0].replaceChildren(...head.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i > 0) th.className = "num";
    return th;
  }));
  table.tBodies[0].replaceChildren(...rows.map(([key, name, ...values]) => {
    const tr = document.createElement("tr");
    tr.dataset.key = key;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    tr.append(th, ...values.map((value) => cell(value, { numeric: true })));
    return tr;
  }));
}

const fixed = (value, digits) => (value === null || value === undefined ? "—" : value.toFixed(digits));

function renderPredicted(ltv) {
  const section = document.getElementById("predicted-ltv");
  section.dataset.state = ltv.error ? "error" : "ready";
  if (ltv.error) {
    document.getElementById("ltv-basis").textContent = `No prediction: ${ltv.error}`;
    return;
  }
  const { summary, bg_nbd: bg, gamma_gamma: gg } = ltv;
  document.getElementById("ltv-basis").textContent = `${formatCount(summary.customers)} customers observed to `
    + `${formatDay(ltv.observation_end)}, ${formatCount(summary.repeat_customers)} with repeat purchases; `
    + `time unit: ${ltv.time_unit}.`;
  setCard("mean_clv", formatMoney(summary.mean_clv), `${formatMoney(summary.total_clv, 0)} in all`);
  setCard("mean_observed_ltv", formatMoney(summary.mean_observed_ltv), "cumulative net revenue per customer");
  setCard("mean_p_alive", formatPercent(summary.mean_p_alive), "mean probability alive");
  setCard("expected_purchases", formatCount(Math.round(summary.expected_purchases)),
    `${fixed(summary.mean_expected_purchases, 2)} per customer`);
  fillTable("ltv-params", ["Model", "Parameters", "Customers"], [
    ["bg_nbd", "BG/NBD", `r ${fixed(bg.r, 4)} · α ${fixed(bg.alpha, 4)} · a ${fixed(bg.a, 4)} · b ${fixed(bg.b, 4)}`,
      formatCount(bg.customers)],
    ["gamma_gamma", "Gamma-Gamma", `p ${fixed(gg.p, 4)} · q ${fixed(gg.q, 4)} · γ ${fixed(gg.gamma, 4)}`,
      formatCount(gg.customers)],
  ]);
  drawChart(document.getElementById("ltv-alive-chart"), {
    type: "bar",
    data: {
      labels: summary.p_alive_histogram.map((bin) => `${formatPercent(bin.from, 0)}–${formatPercent(bin.to, 0)}`),
      datasets: [{ label: "Customers", data: summary.p_alive_histogram.map((bin) => bin.customers),
        backgroundColor: cssColor("--accent") || "#3d5afe" }],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: { title: { display: true, text: "Probability alive" }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { callback: (value) => formatCount(value) } },
      },
    },
  });
  fillTable("ltv-cohort-table",
    ["Cohort", "Customers", "Observed LTV", `Predicted CLV, next ${ltv.horizon_months} mo.`, "Projected LTV",
      "Mean P(alive)"],
    ltv.cohorts.map((c) => [c.cohort_month, formatMonth(c.cohort_month), formatCount(c.customers),
      formatMoney(c.observed_ltv), formatMoney(c.predicted_clv), formatMoney(c.projected_ltv),
      c.mean_p_alive === null ? "—" : formatPercent(c.mean_p_alive)]));
}

function render(data) {
  const cohorts = data.cohorts;
  curveChart(document.getElementById("retention-chart"), cohorts, "retention", (v) => formatPercent(v, 0));
  curveChart(document.getElementById("ltv-chart"), cohorts, "ltv", (v) => formatMoney(v, 0));
  renderTable(cohorts);
  renderPredicted(data.ltv);
}

startPage({ load, render });
