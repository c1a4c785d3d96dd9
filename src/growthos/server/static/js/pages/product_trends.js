// Trends: events or unique people per interval for chosen events (optionally by a property), active people
// (DAU/WAU/MAU), stickiness and feature adoption. The chosen events, interval, measure and breakdown live in
// the URL beside the range.

import { getJSON } from "../api.js";
import { categoricalColor, cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatDay, formatMonth, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { bindOptions, eventNames, queryParams, writeQuery } from "../query.js";
import { sortableTable } from "../table.js";

const form = document.getElementById("trend-options");
const eventsSelect = document.getElementById("trend-events");
const intervalSelect = document.getElementById("trend-interval");
const measureSelect = document.getElementById("trend-measure");
const breakdownInput = document.getElementById("trend-breakdown");
const DEFAULT_EVENTS = 3;

function options(names) {
  const params = queryParams();
  const events = params.getAll("events").filter(Boolean);
  return {
    events: events.length ? events : names.slice(0, DEFAULT_EVENTS),
    interval: params.get("interval") || "day",
    measure: params.get("measure") === "people" ? "people" : "events",
    breakdown: params.get("breakdown") || "",
  };
}

function showOptions(names, chosen) {
  const all = [...new Set([...chosen.events, ...names])];
  eventsSelect.replaceChildren(...all.map((name) => new Option(name, name, false, chosen.events.includes(name))));
  intervalSelect.value = chosen.interval;
  measureSelect.value = chosen.measure;
  breakdownInput.value = chosen.breakdown;
}

async function load(range) {
  const params = rangeParams(range);
  const names = await eventNames();
  const chosen = options(names);
  const trendParams = { ...params, interval: chosen.interval, breakdown: chosen.breakdown };
  const trendQuery = chosen.events.length
    ? getJSON("/api/product/trends", { ...trendParams, events: chosen.events })
    : Promise.resolve(null);
  const [trends, active, sticky, features] = await Promise.all([
    trendQuery,
    getJSON("/api/product/active-users", params),
    getJSON("/api/product/stickiness", params),
    getJSON("/api/product/features", params),
  ]);
  return { names, chosen, trends, active, sticky, features };
}

function seriesLabel(series, multipleEvents) {
  if (series.value === null) return series.event;
  return multipleEvents ? `${series.event} · ${series.value}` : series.value;
}

const bucketLabel = (interval) => (interval === "month" ? formatMonth : formatDay);

function renderTrend(trends, chosen) {
  const canvas = document.getElementById("trend-chart");
  const series = trends?.series ?? [];
  const multipleEvents = new Set(series.map((s) => s.event)).size > 1;
  const labels = (series[0]?.points ?? []).map((p) => bucketLabel(trends.interval)(p.bucket));
  drawChart(canvas, {
    type: trends?.interval === "day" ? "line" : "bar",
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: seriesLabel(s, multipleEvents),
        data: s.points.map((p) => p[chosen.measure]),
        borderColor: categoricalColor(i),
        backgroundColor: withAlpha(categoricalColor(i), trends.interval === "day" ? 0.12 : 0.8),
        borderWidth: 2, pointRadius: 0, pointHoverRadius: 3, tension: 0.25, borderRadius: 2,
      })),
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "top", align: "end" },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatCount(item.raw)}` } } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  canvas.setAttribute("aria-label", `${chosen.measure === "people" ? "Unique people" : "Events"} per ${
    chosen.interval}: ${series.map((s) => seriesLabel(s, multipleEvents)).join(", ")}`);
}

let trendTable = null;

function renderTrendTable(trends) {
  const series = trends?.series ?? [];
  const multipleEvents = new Set(series.map((s) => s.event)).size > 1;
  trendTable ??= sortableTable(document.getElementById("trend-table"), [
    { key: "label", label: "Series", value: (row) => row.label, cell: (row) => row.label },
    { key: "events", label: "Events", numeric: true, value: (row) => row.events, cell: (row) => formatCount(row.events) },
    { key: "peak", label: "Peak people per interval", numeric: true, value: (row) => row.peak,
      cell: (row) => formatCount(row.peak) },
  ], (row) => row.label);
  trendTable.setRows(series.map((s) => ({
    label: seriesLabel(s, multipleEvents),
    events: s.total_events,
    peak: Math.max(0, ...s.points.map((p) => p.people)),
  })));
}

function renderActive(active) {
  const days = active.days;
  const colors = [cssColor("--chart-1"), cssColor("--chart-2"), "#16a34a"];
  drawChart(document.getElementById("active-chart"), {
    type: "line",
    data: {
      labels: days.map((d) => formatDay(d.day)),
      datasets: ["dau", "wau", "mau"].map((key, i) => ({
        label: key.toUpperCase(), data: days.map((d) => d[key]), borderColor: colors[i],
        backgroundColor: colors[i], borderWidth: 2, pointRadius: 0, pointHoverRadius: 3, tension: 0.25,
      })),
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "top", align: "end" } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

function renderStickiness(sticky) {
  document.getElementById("dau-mau").textContent = formatPercent(sticky.average_dau_mau);
  const full = sticky.buckets.filter((b) => b.days === 7);
  const buckets = full.length ? full : sticky.buckets;
  const days = Math.max(0, ...buckets.map((b) => b.active_days.length));
  drawChart(document.getElementById("stickiness-chart"), {
    type: "bar",
    data: {
      labels: Array.from({ length: days }, (_, i) => `${i + 1} day${i ? "s" : ""}`),
      datasets: buckets.map((b, i) => ({
        label: `Week of ${formatDay(b.bucket)}`,
        data: b.active_days.map((n) => (b.people ? n / b.people : null)),
        backgroundColor: withAlpha(cssColor("--chart-1"), 0.25 + (0.65 * (i + 1)) / buckets.length),
        borderRadius: 2,
      })),
    },
    options: {
      plugins: { legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatPercent(item.raw)} of people` } } },
      scales: { x: { grid: { display: false }, title: { display: true, text: "Active days in the week" } },
        y: { beginAtZero: true, ticks: { callback: (v) => formatPercent(v, 0) } } },
    },
  });
}

let featureTable = null;

function renderFeatures(features) {
  document.getElementById("features-active").textContent = formatCount(features.active);
  featureTable ??= sortableTable(document.getElementById("features-table"), [
    { key: "feature", label: "Feature", value: (f) => f.feature, cell: (f) => f.feature },
    { key: "users", label: "People", numeric: true, value: (f) => f.users, cell: (f) => formatCount(f.users) },
    { key: "adoption", label: "Adoption", numeric: true, value: (f) => f.adoption,
      cell: (f) => formatPercent(f.adoption) },
    { key: "event_count", label: "Events", numeric: true, value: (f) => f.event_count,
      cell: (f) => formatCount(f.event_count) },
    { key: "repeat", label: "Repeat people", numeric: true, value: (f) => f.repeat_users,
      cell: (f) => formatCount(f.repeat_users) },
  ], (f) => f.feature);
  featureTable.setRows(features.features);
}

function render({ names, chosen, trends, active, sticky, features }) {
  showOptions(names, chosen);
  showResolvedRange(active.start, active.end);
  renderTrend(trends, chosen);
  renderTrendTable(trends);
  renderActive(active);
  renderStickiness(sticky);
  renderFeatures(features);
}

const refresh = startPage({ load, render });
bindOptions(form, () => writeQuery({
  events: [...eventsSelect.selectedOptions].map((o) => o.value),
  interval: intervalSelect.value,
  measure: measureSelect.value === "people" ? "people" : "",
  breakdown: breakdownInput.value.trim(),
}), refresh);
