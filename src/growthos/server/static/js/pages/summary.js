// Executive summary: KPI cards (value, change vs the previous period, daily sparkline) and the revenue chart.

import { catalogue, getJSON } from "../api.js";
import { cssColor, drawChart, sparkline, withAlpha } from "../charts.js";
import { formatChange, formatCompactMoney, formatDay, formatMoney, formatValue, trend } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";

const cards = [...document.querySelectorAll(".kpi-card[data-metric]")];
const names = cards.map((card) => card.dataset.metric);

async function load(range) {
  const params = rangeParams(range);
  const metrics = names.join(",");
  const [meta, summary, series] = await Promise.all([
    catalogue(),
    getJSON("/api/metrics/summary", { ...params, metrics }),
    getJSON("/api/metrics/timeseries", { ...params, metrics, interval: "day" }),
  ]);
  return { meta, summary, series };
}

function renderCard(card, metric, kpi, series) {
  const q = (role) => card.querySelector(`[data-role="${role}"]`);
  card.querySelector(".kpi-label").textContent = metric.label;
  card.querySelector(".tip-text").textContent = metric.formula;
  card.querySelector(".tip-button").setAttribute("aria-label", `How ${metric.label} is computed`);
  q("value").textContent = formatValue(metric, kpi?.value);
  q("change").textContent = formatChange(kpi?.change_pct);
  const direction = trend(metric, kpi?.change);
  q("trend").dataset.trend = direction;
  const arrow = q("trend").querySelector(".arrow");
  arrow.textContent = kpi?.change > 0 ? "▲" : kpi?.change < 0 ? "▼" : "";
  q("trend").title = kpi?.previous === null || kpi?.previous === undefined
    ? "No value in the previous period"
    : `Previous period: ${formatValue(metric, kpi.previous)}`;
  sparkline(q("sparkline"), series.dates.map(formatDay), series.series[metric.name],
    (value) => formatValue(metric, value));
}

function renderRevenue(series) {
  const accent = cssColor("--chart-1");
  const spend = cssColor("--chart-2");
  drawChart(document.getElementById("revenue-chart"), {
    data: {
      labels: series.dates.map(formatDay),
      datasets: [
        {
          type: "line", label: "Net revenue", data: series.series.net_revenue, order: 2,
          borderColor: accent, backgroundColor: withAlpha(accent, 0.16), fill: "origin", borderWidth: 2,
          pointRadius: 0, pointHoverRadius: 4, tension: 0.3,
        },
        {
          type: "bar", label: "Ad spend", data: series.series.ad_spend, order: 1,
          backgroundColor: withAlpha(spend, 0.85), borderRadius: 2, maxBarThickness: 18,
        },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "top", align: "end", labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatMoney(item.raw)}` } },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { beginAtZero: true, ticks: { callback: (value) => formatCompactMoney(value) } },
      },
    },
  });
}

function render({ meta, summary, series }) {
  showResolvedRange(summary.from, summary.to);
  for (const card of cards) {
    const metric = meta.get(card.dataset.metric);
    renderCard(card, metric, summary.kpis[metric.name], series);
  }
  renderRevenue(series);
}

startPage({ load, render });
