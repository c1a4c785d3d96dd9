// Web vitals: p75 of each Core Web Vital with Google's rating and the shares of good / needs-improvement / poor
// samples, the p75 trend of a chosen metric against its thresholds, p75 per route, the routes that got worse
// than in the window before, and the one-line embed of the snippet. The window (24h, 7d, 30d) is in the URL.

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatChange, formatCount, formatDay, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { cell, pill, sortableTable } from "../table.js";
import { bucketLabel } from "../telemetry_format.js";
import { bindWindowSelect, currentWindow } from "../window_range.js";

const METRICS = ["LCP", "INP", "CLS", "FCP", "TTFB", "FID"];
const RATING_PILLS = { good: "pass", "needs-improvement": "warn", poor: "fail" };
const RATING_LABELS = { good: "Good", "needs-improvement": "Needs improvement", poor: "Poor" };
const trendSelect = document.getElementById("vitals-trend-metric");
let routeTable = null;
let latest = null;

/** A vital as pages show it: milliseconds rounded ("2,512 ms"), CLS with three decimals ("0.125"). */
function formatVital(unit, value) {
  if (value === null || value === undefined) return "—";
  return unit === "score" ? value.toFixed(3) : `${formatCount(value)} ms`;
}

const samples = (n) => `${formatCount(n)} sample${n === 1 ? "" : "s"}`;

function ratingPill(rating, text) {
  return rating ? pill(text ?? RATING_LABELS[rating], RATING_PILLS[rating]) : document.createTextNode("—");
}

async function load() {
  return getJSON("/api/analytics/performance", { range: currentWindow() });
}

function renderCards(metrics) {
  for (const metric of metrics) {
    const card = document.querySelector(`#vitals-cards [data-metric="${metric.name}"]`);
    if (!card) continue;
    const value = card.querySelector("[data-role=value]");
    value.textContent = formatVital(metric.unit, metric.p75);
    value.dataset.value = metric.p75 ?? "";
    card.dataset.rating = metric.rating ?? "";
    card.querySelector("[data-role=rating]").replaceChildren(ratingPill(metric.rating));
    const shares = [metric.share_good, metric.share_needs_improvement, metric.share_poor];
    card.querySelectorAll("[data-role=bar] span").forEach((span, i) => {
      span.style.width = `${(shares[i] ?? 0) * 100}%`;
    });
    card.querySelector("[data-role=shares]").textContent = metric.samples
      ? `${formatPercent(metric.share_good, 0)} good · ${formatPercent(metric.share_needs_improvement, 0)} NI · `
        + `${formatPercent(metric.share_poor, 0)} poor of ${samples(metric.samples)}`
      : "No samples";
    card.querySelector("[data-role=thresholds]").textContent = `Good ≤ ${formatVital(metric.unit, metric.good_threshold)}`
      + `, poor > ${formatVital(metric.unit, metric.poor_threshold)}`;
  }
}

function renderTrend(data) {
  const name = trendSelect.value || "LCP";
  const series = data.trend.find((s) => s.name === name);
  const metric = data.metrics.find((m) => m.name === name);
  const labels = series.points.map((p, i) => bucketLabel(p.bucket, data.bucket, i));
  const line = (label, value, color) => ({ label, data: labels.map(() => value), borderColor: color,
    borderDash: [5, 4], borderWidth: 1.2, pointRadius: 0, fill: false });
  const accent = cssColor("--chart-1");
  drawChart(document.getElementById("vitals-trend-chart"), {
    type: "line",
    data: {
      labels,
      datasets: [
        { label: `${name} p75`, data: series.points.map((p) => p.p75), borderColor: accent,
          backgroundColor: withAlpha(accent, 0.12), borderWidth: 2, pointRadius: 2, spanGaps: true, fill: true,
          tension: 0.25 },
        line("Good threshold", metric.good_threshold, cssColor("--good")),
        line("Poor threshold", metric.poor_threshold, cssColor("--bad")),
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "top", align: "end" },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatVital(series.unit, item.raw)}`
          + (item.datasetIndex === 0 ? ` (${samples(series.points[item.dataIndex].samples)})` : "") } },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxTicksLimit: 12 } },
        y: { beginAtZero: true, ticks: { callback: (value) => formatVital(series.unit, value) } },
      },
    },
  });
}

function vitalCell(row, name, unit) {
  const metric = row.metrics[name];
  if (!metric) return null;
  const content = ratingPill(metric.rating, formatVital(unit, metric.p75));
  content.title = `${RATING_LABELS[metric.rating]}, ${samples(metric.samples)}`;
  return content;
}

function renderRoutes(data) {
  const units = Object.fromEntries(data.metrics.map((m) => [m.name, m.unit]));
  routeTable ??= sortableTable(document.getElementById("vitals-routes-table"), [
    { key: "route", label: "Route", value: (row) => row.route, cell: (row) => row.route },
    { key: "samples", label: "Views", numeric: true, title: "Samples of the route's most-reported metric",
      value: (row) => row.samples, cell: (row) => formatCount(row.samples) },
    ...METRICS.map((name) => ({ key: name, label: name, numeric: true,
      value: (row) => row.metrics[name]?.p75 ?? null, cell: (row) => vitalCell(row, name, units[name]) })),
  ], (row) => row.route);
  routeTable.setRows(data.routes);
  document.getElementById("vitals-routes-empty").hidden = data.routes.length > 0;
  document.getElementById("vitals-routes-note").textContent = `Metrics with at least ${data.min_samples} `
    + "samples on a route; click a column header to sort.";
}

function renderWorse(data) {
  const body = document.querySelector("#vitals-worse-table tbody");
  body.replaceChildren(...data.worsened.map((w) => {
    const tr = document.createElement("tr");
    tr.dataset.key = `${w.route} ${w.name}`;
    const rating = document.createDocumentFragment();
    rating.append(ratingPill(w.rating_before), " → ", ratingPill(w.rating_after));
    tr.append(
      cell(w.route),
      cell(w.name),
      cell(formatVital(w.unit, w.p75_before), { numeric: true }),
      cell(formatVital(w.unit, w.p75_after), { numeric: true }),
      cell(formatChange(w.change), { numeric: true }),
      cell(rating),
      cell(`${formatCount(w.samples_before)} / ${formatCount(w.samples_after)}`, { numeric: true }),
    );
    return tr;
  }));
  document.getElementById("vitals-worse-empty").hidden = data.worsened.length > 0;
  const days = (new Date(data.until) - new Date(data.since)) / 86_400_000;
  const span = days < 2 ? `${Math.round(days * 24)} hours` : `${Math.round(days)} days`;
  document.getElementById("vitals-worse-note").textContent = `p75 of the last ${span} against the ${span} `
    + `before (from ${formatDay(data.previous_since.slice(0, 10))}): a worse rating, or a rise of 20% or more, `
    + `with at least ${data.min_samples} samples in each.`;
}

function renderEmbed() {
  document.getElementById("vitals-embed").textContent = `<script src="${window.location.origin}/sdk/vitals.js" `
    + 'data-key="gos_ingest_..." defer></script>';
}

function render(data) {
  latest = data;
  renderCards(data.metrics);
  document.getElementById("vitals-empty").hidden = data.metrics.some((m) => m.samples > 0);
  renderTrend(data);
  renderRoutes(data);
  renderWorse(data);
  renderEmbed();
}

trendSelect.addEventListener("change", () => {
  if (latest) renderTrend(latest);
});
const refresh = startPage({ load, render });
bindWindowSelect(document.getElementById("vitals-window"), refresh);
