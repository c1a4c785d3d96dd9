// Executive summary: KPI cards (value, change vs the previous period, daily sparkline) and the revenue chart,
// with the net revenue forecast (80% and 95% prediction intervals) after the range's last day and markers on
// its anomalous days. Those two are fetched in parallel with the rest (only for the chart's metric); a failure
// there leaves the chart without them, never the page without data.

import { catalogue, getJSON } from "../api.js";
import { cssColor, drawChart, sparkline, withAlpha } from "../charts.js";
import { formatChange, formatCompactMoney, formatDay, formatMoney, formatValue, trend } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";

const cards = [...document.querySelectorAll(".kpi-card[data-metric]")];
const names = cards.map((card) => card.dataset.metric);
const CHART_METRIC = "net_revenue"; // the daily KPI the revenue chart draws as a line
const FORECAST_DAYS = 28;

async function load(range) {
  const params = rangeParams(range);
  const metrics = names.join(",");
  const settle = (promise) => promise.then((value) => ({ status: "fulfilled", value }),
    (reason) => ({ status: "rejected", reason }));
  const [meta, summary, series, anomalies, forecast] = await Promise.all([
    catalogue(),
    getJSON("/api/metrics/summary", { ...params, metrics }),
    getJSON("/api/metrics/timeseries", { ...params, metrics, interval: "day" }),
    settle(getJSON("/api/anomalies", { ...params, metric: CHART_METRIC })),
    settle(getJSON("/api/forecast", { metric: CHART_METRIC, horizon: FORECAST_DAYS })),
  ]);
  return { meta, summary, series, overlay: { anomalies, forecast } };
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
  return drawChart(document.getElementById("revenue-chart"), {
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
        legend: {
          position: "top", align: "end",
          labels: {
            sort: (a, b) => a.datasetIndex - b.datasetIndex,
            filter: (item, data) => !data.datasets[item.datasetIndex].hideInLegend,
          },
        },
        tooltip: {
          filter: (item) => item.raw !== null && item.raw !== undefined,
          callbacks: { label: (item) => `${item.dataset.label}: ${formatMoney(item.raw)}` },
        },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { beginAtZero: true, ticks: { callback: (value) => formatCompactMoney(value) } },
      },
    },
  });
}

/** The forecast after the range (when the range ends on the last day with data) and the anomalous days. */
function forecastDatasets(points, pad, forecastColor) {
  const band = (key) => [...Array(pad).fill(null), ...points.map((p) => p[key])];
  const line = { type: "line", pointRadius: 0, pointHoverRadius: 3, tension: 0.3, borderWidth: 0, order: 3 };
  return [
    { ...line, label: "95% interval (upper)", kind: "band-95-upper", data: band("upper_95"), fill: "+1",
      backgroundColor: withAlpha(forecastColor, 0.12), hideInLegend: true },
    { ...line, label: "95% interval", kind: "band-95-lower", data: band("lower_95"), fill: false,
      backgroundColor: withAlpha(forecastColor, 0.12) },
    { ...line, label: "80% interval (upper)", kind: "band-80-upper", data: band("upper_80"), fill: "+1",
      backgroundColor: withAlpha(forecastColor, 0.24), hideInLegend: true },
    { ...line, label: "80% interval", kind: "band-80-lower", data: band("lower_80"), fill: false,
      backgroundColor: withAlpha(forecastColor, 0.24) },
    { ...line, label: "Forecast", kind: "forecast", data: band("forecast"), fill: false, borderWidth: 2,
      borderColor: forecastColor, borderDash: [5, 4], order: 0 },
  ];
}

function addOverlay(chart, series, { anomalies, forecast }) {
  const canvas = chart.canvas;
  const dates = series.dates;
  const last = dates[dates.length - 1];
  const labels = [...chart.data.labels];
  if (forecast.status === "fulfilled" && last && forecast.value.history_to === last) {
    const points = forecast.value.points.filter((p) => p.day > last);
    labels.push(...points.map((p) => formatDay(p.day)));
    chart.data.datasets.push(...forecastDatasets(points, dates.length, "#7c3aed"));
    canvas.dataset.forecast = points.length ? "shown" : "none";
    canvas.dataset.forecastTo = points.length ? points[points.length - 1].day : "";
  } else {
    if (forecast.status === "rejected") console.warn(forecast.reason);
    canvas.dataset.forecast = forecast.status === "rejected" ? "failed" : "none"; // the range ends earlier
  }
  if (anomalies.status === "fulfilled") {
    const byDay = new Map(anomalies.value.anomalies.filter((a) => a.metric === CHART_METRIC).map((a) => [a.day, a]));
    const found = dates.filter((day) => byDay.has(day));
    canvas.dataset.anomalies = String(found.length);
    if (found.length) {
      const bad = cssColor("--bad") || "#b42318";
      chart.data.datasets.push({
        type: "line", label: "Anomaly", kind: "anomalies", order: -1, showLine: false,
        data: dates.map((day) => (byDay.has(day) ? byDay.get(day).value : null)),
        pointStyle: "triangle", pointRadius: 7, pointHoverRadius: 9, borderColor: bad,
        backgroundColor: withAlpha(bad.startsWith("#") ? bad : "#b42318", 0.85),
      });
      canvas.setAttribute("aria-label", `${canvas.getAttribute("aria-label").split(";")[0]}; anomalous days: `
        + found.map((day) => formatDay(day)).join(", "));
    }
  } else {
    console.warn(anomalies.reason);
    canvas.dataset.anomalies = "failed";
  }
  chart.data.labels = labels;
  chart.update();
  canvas.dataset.overlay = "ready";
}

function render({ meta, summary, series, overlay }) {
  showResolvedRange(summary.from, summary.to);
  for (const card of cards) {
    const metric = meta.get(card.dataset.metric);
    renderCard(card, metric, summary.kpis[metric.name], series);
  }
  addOverlay(renderRevenue(series), series, overlay);
}

startPage({ load, render });
