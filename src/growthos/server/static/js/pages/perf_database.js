// Database: cards (queries, executed-query p95, slow-query rate, cache hit rate, error rate), a chart of queries,
// slow queries and p95 duration over time, and the slowest query fingerprints by total time, for the window
// chosen in the URL (?window=24h|7d|30d).

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { sortableTable } from "../table.js";
import { bucketLabel, formatMs, setCard } from "../telemetry_format.js";
import { bindWindowSelect, currentWindow } from "../window_range.js";

function renderCards(all, slowMs) {
  setCard("queries", formatCount(all.queries), all.queries,
    `${formatCount(all.executed)} executed · ${formatCount(all.cache_hits)} cache hits`);
  setCard("p95", formatMs(all.p95_ms), all.p95_ms, `p50 ${formatMs(all.p50_ms)} · max ${formatMs(all.max_ms)}`);
  setCard("slow", formatPercent(all.slow_query_rate), all.slow_query_rate,
    `${formatCount(all.slow)} of ${formatCount(all.queries)} queries (≥ ${formatMs(slowMs)} by default)`);
  setCard("cache", formatPercent(all.cache_hit_rate), all.cache_hit_rate,
    `${formatCount(all.cache_hits)} of ${formatCount(all.queries)} queries`);
  setCard("errors", formatPercent(all.error_rate), all.error_rate,
    `${formatCount(all.errors)} of ${formatCount(all.queries)} queries`);
}

function fingerprintCell(row) {
  const code = document.createElement("code");
  code.className = "fingerprint";
  code.textContent = row.fingerprint.length > 240 ? `${row.fingerprint.slice(0, 240)}…` : row.fingerprint;
  code.title = row.fingerprint;
  // long statements wrap inside the cell (the table's cells do not wrap)
  Object.assign(code.style, { whiteSpace: "normal", overflowWrap: "anywhere", display: "inline-block",
    minWidth: "22rem", maxWidth: "44rem", fontSize: "0.8rem" });
  return code;
}

const number = (key, label, format) => ({ key, label, numeric: true, value: (row) => row[key],
  cell: (row) => format(row[key]) });

const COLUMNS = [
  { key: "fingerprint", label: "Query", value: (row) => row.fingerprint, cell: fingerprintCell },
  { key: "operation", label: "Kind", value: (row) => row.operation, cell: (row) => row.operation ?? "—" },
  number("calls", "Calls", formatCount),
  number("total_ms", "Total time", formatMs),
  number("share_of_time", "Share", formatPercent),
  number("avg_ms", "Mean", formatMs),
  number("p95_ms", "p95", formatMs),
  number("max_ms", "Max", formatMs),
  number("slow", "Slow", formatCount),
  number("cache_hits", "Cache hits", formatCount),
  number("errors", "Errors", formatCount),
];

let table = null;
function renderFingerprints(rows) {
  table ??= sortableTable(document.getElementById("db-fingerprints-table"), COLUMNS, (row) => row.fingerprint);
  table.setRows(rows);
}

function renderChart(data) {
  const points = data.series;
  const queries = cssColor("--chart-1");
  drawChart(document.getElementById("db-chart"), {
    data: {
      labels: points.map((p) => bucketLabel(p.bucket, data.bucket)),
      datasets: [
        { type: "bar", label: "Queries", data: points.map((p) => p.queries), yAxisID: "queries",
          backgroundColor: withAlpha(queries, 0.75), borderRadius: 2, maxBarThickness: 28, order: 2 },
        { type: "bar", label: "Slow queries", data: points.map((p) => p.slow), yAxisID: "queries",
          backgroundColor: withAlpha(cssColor("--chart-2"), 0.9), borderRadius: 2, maxBarThickness: 28, order: 1 },
        { type: "line", label: "p95 duration (ms)", data: points.map((p) => p.p95_ms), yAxisID: "duration",
          borderColor: cssColor("--good"), pointRadius: 2, borderWidth: 2, spanGaps: true, order: 0 },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "top", align: "end" },
        tooltip: { callbacks: { label: (item) => (item.dataset.yAxisID === "duration"
          ? `p95 duration: ${formatMs(item.raw)}` : `${item.dataset.label}: ${formatCount(item.raw)}`) } },
      },
      scales: {
        x: { grid: { display: false } },
        queries: { position: "left", beginAtZero: true, ticks: { precision: 0 },
          title: { display: true, text: "Queries" } },
        duration: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
          title: { display: true, text: "p95 ms" } },
      },
    },
  });
}

async function load() {
  return getJSON("/api/analytics/database-performance", { range: currentWindow() });
}

function render(data) {
  renderCards(data.overall, data.slow_ms);
  document.getElementById("db-empty").hidden = data.overall.queries > 0;
  renderChart(data);
  renderFingerprints(data.fingerprints);
}

const refresh = startPage({ load, render });
bindWindowSelect(document.getElementById("db-window"), refresh);
document.getElementById("db-filters").addEventListener("submit", (event) => event.preventDefault());
