// AI calls: cards (calls, model-call latency p50/p95, cost, cache hit rate, error rate, tokens per call), a chart
// of calls, cost and p95 latency over time, per-model and per-endpoint tables and errors by type, for the window
// chosen in the URL (?window=24h|7d|30d).

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { cell, sortableTable } from "../table.js";
import { bucketLabel, fixed, formatMs, formatUsd, missing, setCard } from "../telemetry_format.js";
import { bindWindowSelect, currentWindow } from "../window_range.js";

const formatTokens = (value) => (missing(value) ? "—" : fixed(value, 1));

function renderCards(all) {
  setCard("calls", formatCount(all.calls), all.calls, `${formatCount(all.model_calls)} model calls · `
    + `${formatCount(all.cache_hits)} cache hits · ${formatCount(all.errors)} errors`);
  setCard("p50", formatMs(all.latency_p50_ms), all.latency_p50_ms,
    `Cache hits' p50: ${formatMs(all.cache_hit_latency_p50_ms)}`);
  setCard("p95", formatMs(all.latency_p95_ms), all.latency_p95_ms,
    `Cache hits' p95: ${formatMs(all.cache_hit_latency_p95_ms)}`);
  setCard("cost", formatUsd(all.cost_usd), all.cost_usd, all.unpriced_calls
    ? `${formatCount(all.unpriced_calls)} calls without a price` : "Every call priced");
  setCard("cache", formatPercent(all.cache_hit_rate), all.cache_hit_rate,
    `${formatCount(all.cache_hits)} of ${formatCount(all.calls)} calls`);
  setCard("errors", formatPercent(all.error_rate), all.error_rate,
    `${formatCount(all.errors)} of ${formatCount(all.calls)} calls`);
  setCard("tokens", formatTokens(all.tokens_per_call), all.tokens_per_call,
    `${formatCount(all.tokens_in)} in · ${formatCount(all.tokens_out)} out in total`);
}

function columns(label) {
  const number = (key, title, format) => ({ key, label: title, numeric: true, value: (row) => row[key],
    cell: (row) => format(row[key]) });
  return [
    { key: "name", label, value: (row) => row.name, cell: (row) => row.name },
    number("calls", "Calls", formatCount),
    number("latency_p50_ms", "p50", formatMs),
    number("latency_p95_ms", "p95", formatMs),
    number("tokens_in", "Tokens in", formatCount),
    number("tokens_out", "Tokens out", formatCount),
    number("tokens_per_call", "Tokens / call", formatTokens),
    number("cost_usd", "Cost", formatUsd),
    number("cache_hit_rate", "Cache hits", formatPercent),
    number("error_rate", "Errors", formatPercent),
  ];
}

const tables = {};
function renderTable(id, label, rows) {
  tables[id] ??= sortableTable(document.getElementById(id), columns(label), (row) => row.name);
  tables[id].setRows(rows);
}

function renderErrors(errors) {
  document.querySelector("#ai-errors-table tbody").replaceChildren(...errors.map((error) => {
    const tr = document.createElement("tr");
    tr.dataset.key = error.error_type;
    tr.append(cell(error.error_type), cell(formatCount(error.calls), { numeric: true }));
    return tr;
  }));
  document.getElementById("ai-errors-empty").hidden = errors.length > 0;
}

function renderChart(data) {
  const points = data.series;
  const calls = cssColor("--chart-1");
  drawChart(document.getElementById("ai-chart"), {
    data: {
      labels: points.map((p, i) => bucketLabel(p.bucket, data.bucket, i)),
      datasets: [
        { type: "bar", label: "Calls", data: points.map((p) => p.calls), yAxisID: "calls",
          backgroundColor: withAlpha(calls, 0.75), borderRadius: 2, maxBarThickness: 28, order: 2 },
        { type: "line", label: "Cost (USD)", data: points.map((p) => p.cost_usd), yAxisID: "cost",
          borderColor: cssColor("--chart-2"), pointRadius: 0, borderWidth: 2, order: 1 },
        { type: "line", label: "p95 latency (ms)", data: points.map((p) => p.latency_p95_ms), yAxisID: "latency",
          borderColor: cssColor("--good"), pointRadius: 2, borderWidth: 2, spanGaps: true, order: 0 },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "top", align: "end" },
        tooltip: { callbacks: { label: (item) => {
          if (item.dataset.yAxisID === "cost") return `Cost: ${formatUsd(item.raw)}`;
          if (item.dataset.yAxisID === "latency") return `p95 latency: ${formatMs(item.raw)}`;
          return `Calls: ${formatCount(item.raw)}`;
        } } },
      },
      scales: {
        x: { grid: { display: false } },
        calls: { position: "left", beginAtZero: true, ticks: { precision: 0 },
          title: { display: true, text: "Calls" } },
        latency: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
          title: { display: true, text: "p95 ms" } },
        cost: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
          ticks: { callback: (value) => `$${Number(value.toPrecision(3))}` },
          title: { display: true, text: "USD" } },
      },
    },
  });
}

async function load() {
  return getJSON("/api/analytics/ai-performance", { range: currentWindow() });
}

function render(data) {
  renderCards(data.overall);
  document.getElementById("ai-empty").hidden = data.overall.calls > 0;
  renderChart(data);
  renderTable("ai-models-table", "Model", data.models);
  renderTable("ai-endpoints-table", "Endpoint", data.endpoints);
  renderErrors(data.error_types);
}

const refresh = startPage({ load, render });
bindWindowSelect(document.getElementById("ai-window"), refresh);
document.getElementById("ai-filters").addEventListener("submit", (event) => event.preventDefault());
