// Unit economics: the average order's waterfall from gross sales to contribution, and the cost table.

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatDate, formatMoney, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { cell } from "../table.js";

async function load(range) {
  return getJSON("/api/metrics/unit-economics", rangeParams(range));
}

/** Floating bars: each step from the running total before it to the one after; subtotals from zero. */
function waterfallBars(steps) {
  let running = 0;
  return steps.map((step, index) => {
    const amount = step.per_order ?? 0;
    if (step.subtotal || index === 0) {
      running = amount;
      return { bar: [0, amount], kind: "subtotal", amount };
    }
    const before = running;
    running += amount;
    return { bar: [before, running], kind: amount >= 0 ? "gain" : "cost", amount };
  });
}

function renderChart(data) {
  const bars = waterfallBars(data.steps);
  const colors = { subtotal: cssColor("--chart-1"), gain: cssColor("--good"), cost: cssColor("--bad") };
  drawChart(document.getElementById("waterfall-chart"), {
    type: "bar",
    data: {
      labels: data.steps.map((step) => step.label.replace(/ \(/, "\n(").split("\n")),
      datasets: [{
        label: "Per order",
        data: bars.map((b) => b.bar),
        backgroundColor: bars.map((b) => withAlpha(colors[b.kind], b.kind === "subtotal" ? 0.9 : 0.75)),
        borderRadius: 3,
        maxBarThickness: 64,
      }],
    },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => formatMoney(bars[item.dataIndex].amount) } },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: false } },
        y: { beginAtZero: true, ticks: { callback: (value) => formatMoney(value, 0) } },
      },
    },
  });
}

function renderTable(data) {
  const body = document.querySelector("#costs-table tbody");
  body.replaceChildren(...data.steps.map((step) => {
    const tr = document.createElement("tr");
    tr.dataset.key = step.step;
    if (step.subtotal) tr.className = "subtotal";
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = step.label;
    tr.append(
      name,
      cell(formatMoney(step.total), { numeric: true }),
      cell(formatMoney(step.per_order), { numeric: true }),
      cell(formatPercent(step.share_of_gross), { numeric: true }),
    );
    return tr;
  }));
}

function render(data) {
  showResolvedRange(data.from, data.to);
  document.getElementById("waterfall-orders").textContent =
    `Average over ${formatCount(data.orders)} orders, ${formatDate(data.from)} – ${formatDate(data.to)}`;
  renderChart(data);
  renderTable(data);
}

startPage({ load, render });
