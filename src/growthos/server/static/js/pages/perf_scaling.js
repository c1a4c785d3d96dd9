// Scaling: per service, the instances now, CPU, and the instances HPA's rule recommends (with why); a chart of
// CPU, instances and recommendation over time for the chosen service, and the changes the advice asked for.

import { getJSON } from "../api.js";
import { cssColor, drawChart } from "../charts.js";
import { formatCount, formatPercent, formatTimestamp } from "../format.js";
import { startPage } from "../page.js";
import { cell, pill, sortableTable } from "../table.js";
import { bindWindowSelect, currentWindow } from "../window_range.js";

const serviceSelect = document.getElementById("scaling-service");
const percent = (value) => (value === null || value === undefined ? "—" : formatPercent(value / 100));
const ACTIONS = { scale_up: "Scale up", scale_down: "Scale down", hold: "Hold" };
const ACTION_PILLS = { scale_up: "warn", scale_down: "paid", hold: "pass" };
let table = null;
let shown = null;

async function load() {
  return getJSON("/api/analytics/resources", { range: currentWindow() });
}

function renderPolicy(policy) {
  document.getElementById("scaling-policy").textContent = `Target CPU ${policy.target_cpu_percent}%: scale up `
    + `above ${policy.scale_up_above}%, down below ${policy.scale_down_below}%, ${policy.min_instances}–`
    + `${policy.max_instances} instances; desired = ceil(instances × CPU ÷ target); scale-downs wait `
    + `${policy.scale_down_window_s} s (the largest recommendation of that window).`;
}

function renderTable(services) {
  table ??= sortableTable(document.getElementById("scaling-table"), [
    { key: "service", label: "Service", value: (s) => s.service, cell: (s) => s.service },
    { key: "instances", label: "Instances", numeric: true, value: (s) => s.recommendation.instances,
      cell: (s) => formatCount(s.recommendation.instances) },
    { key: "cpu", label: "CPU now", numeric: true, value: (s) => s.recommendation.cpu_percent,
      cell: (s) => percent(s.recommendation.cpu_percent) },
    { key: "recommended", label: "Recommended", numeric: true, value: (s) => s.recommendation.recommendation,
      cell: (s) => formatCount(s.recommendation.recommendation) },
    { key: "peak", label: "At peak", numeric: true, value: (s) => s.peak_recommendation.recommendation,
      cell: (s) => formatCount(s.peak_recommendation.recommendation) },
    { key: "action", label: "Action", value: (s) => s.recommendation.action,
      cell: (s) => pill(ACTIONS[s.recommendation.action], ACTION_PILLS[s.recommendation.action]) },
    { key: "reason", label: "Why", value: (s) => s.recommendation.reason, cell: (s) => s.recommendation.reason },
    { key: "cpu_mean", label: "Mean CPU", numeric: true, value: (s) => s.cpu_percent.mean,
      cell: (s) => percent(s.cpu_percent.mean) },
    { key: "cpu_peak", label: "Peak CPU", numeric: true, value: (s) => s.cpu_percent.peak,
      cell: (s) => percent(s.cpu_percent.peak) },
    { key: "memory_peak", label: "Peak memory", numeric: true, value: (s) => s.memory_percent.peak,
      cell: (s) => percent(s.memory_percent.peak) },
    { key: "connections_peak", label: "Peak connections", numeric: true, value: (s) => s.connections.peak,
      cell: (s) => (s.connections.peak === null ? "—" : formatCount(s.connections.peak)) },
  ], (s) => s.service);
  table.setRows(services);
  document.getElementById("scaling-empty").hidden = services.length > 0;
}

function renderService(data) {
  const card = document.getElementById("scaling-chart-card");
  card.hidden = data.services.length === 0;
  if (!data.services.length) return;
  const names = data.services.map((s) => s.service);
  const chosen = names.includes(serviceSelect.value) ? serviceSelect.value : names[0];
  serviceSelect.replaceChildren(...names.map((name) => new Option(name, name, false, name === chosen)));
  const service = data.services.find((s) => s.service === chosen);
  drawChart(document.getElementById("scaling-chart"), {
    type: "line",
    data: {
      labels: service.series.map((p) => formatTimestamp(p.at)),
      datasets: [
        { label: "CPU %", data: service.series.map((p) => p.cpu_percent), borderColor: cssColor("--chart-1"),
          yAxisID: "cpu", pointRadius: 0, borderWidth: 2 },
        { label: "Instances", data: service.series.map((p) => p.instances), borderColor: cssColor("--chart-2"),
          yAxisID: "instances", stepped: true, pointRadius: 0, borderWidth: 2 },
        { label: "Recommended", data: service.series.map((p) => p.recommendation), borderColor: cssColor("--good"),
          yAxisID: "instances", stepped: true, pointRadius: 0, borderWidth: 2, borderDash: [6, 4] },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        cpu: { position: "left", beginAtZero: true, title: { display: true, text: "CPU %" } },
        instances: { position: "right", beginAtZero: true, ticks: { precision: 0 },
          grid: { drawOnChartArea: false }, title: { display: true, text: "Instances" } },
      },
    },
  });
  const body = document.querySelector("#changes-table tbody");
  body.replaceChildren(...[...service.changes].reverse().map((change) => {
    const tr = document.createElement("tr");
    tr.append(cell(formatTimestamp(change.at)), cell(percent(change.cpu_percent), { numeric: true }),
      cell(formatCount(change.instances), { numeric: true }),
      cell(formatCount(change.recommendation), { numeric: true }), cell(change.reason, { className: "wrap" }));
    return tr;
  }));
}

function render(data) {
  shown = data;
  renderPolicy(data.policy);
  renderTable(data.services);
  renderService(data);
}

const refresh = startPage({ load, render });
bindWindowSelect(document.getElementById("scaling-window"), refresh);
serviceSelect.addEventListener("change", () => shown && renderService(shown));
document.getElementById("scaling-filters").addEventListener("submit", (event) => event.preventDefault());
