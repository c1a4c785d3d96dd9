// Channels: net revenue and spend per channel, and sortable channel and campaign tables.

import { catalogue, getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCompactMoney, formatMoney, formatValue } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { pill, sortableTable } from "../table.js";

function nameCell(label, isPaid) {
  const fragment = document.createDocumentFragment();
  fragment.append(label ?? "—");
  if (isPaid) fragment.append(" ", pill("paid", "paid"));
  return fragment;
}

function metricColumns(meta, rows) {
  const names = Object.keys(rows[0]?.kpis ?? {});
  return names.map((name) => {
    const metric = meta.get(name);
    return {
      key: name,
      label: metric.label,
      title: metric.formula,
      numeric: true,
      value: (row) => row.kpis[name]?.value ?? null,
      cell: (row) => formatValue(metric, row.kpis[name]?.value),
    };
  });
}

let channelTable = null;
let campaignTable = null;

function renderChannels(meta, data) {
  const table = document.getElementById("channels-table");
  channelTable ??= sortableTable(table, [
    { key: "label", label: "Channel", value: (row) => row.label, cell: (row) => nameCell(row.label, row.is_paid) },
    ...metricColumns(meta, data.rows),
  ], (row) => row.channel);
  channelTable.setRows(data.rows);
}

function renderCampaigns(meta, data) {
  const table = document.getElementById("campaigns-table");
  campaignTable ??= sortableTable(table, [
    { key: "label", label: "Campaign", value: (row) => row.label, cell: (row) => row.label },
    { key: "channel", label: "Channel", value: (row) => row.channel_label,
      cell: (row) => nameCell(row.channel_label, row.is_paid) },
    ...metricColumns(meta, data.rows),
  ], (row) => row.campaign);
  campaignTable.setRows(data.rows);
}

function renderChart(data) {
  const accent = cssColor("--chart-1");
  const spend = cssColor("--chart-2");
  const rows = data.rows;
  drawChart(document.getElementById("channel-chart"), {
    type: "bar",
    data: {
      labels: rows.map((row) => row.label),
      datasets: [
        { label: "Net revenue", data: rows.map((row) => row.kpis.net_revenue?.value ?? null),
          backgroundColor: withAlpha(accent, 0.85), borderRadius: 3, maxBarThickness: 38 },
        { label: "Ad spend", data: rows.map((row) => row.kpis.ad_spend?.value ?? null),
          backgroundColor: withAlpha(spend, 0.85), borderRadius: 3, maxBarThickness: 38 },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "top", align: "end" },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatMoney(item.raw)}` } },
      },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, ticks: { callback: (value) => formatCompactMoney(value) } },
      },
    },
  });
}

async function load(range) {
  const params = rangeParams(range);
  const [meta, channels, campaigns] = await Promise.all([
    catalogue(),
    getJSON("/api/metrics/channels", params),
    getJSON("/api/metrics/campaigns", params),
  ]);
  return { meta, channels, campaigns };
}

function render({ meta, channels, campaigns }) {
  showResolvedRange(channels.from, channels.to);
  renderChart(channels);
  renderChannels(meta, channels);
  renderCampaigns(meta, campaigns);
}

startPage({ load, render });
