// Attribution: the range's conversions credited to channels by each model, as a grouped bar chart (one bar per
// model in every channel) and a table of conversions, shares and value. Model, conversion and lookback live in
// the URL beside the range.

import { getJSON } from "../api.js";
import { categoricalColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatMoney, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { bindOptions, queryParams, writeQuery } from "../query.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { cell } from "../table.js";

const form = document.getElementById("attribution-options");
const modelSelect = document.getElementById("attribution-model");
const conversionSelect = document.getElementById("attribution-conversion");
const lookbackInput = document.getElementById("attribution-lookback");

function question() {
  const params = queryParams();
  const pick = (select, value) => ([...select.options].some((o) => o.value === value) ? value : select.options[0].value);
  return {
    model: pick(modelSelect, params.get("model")),
    conversion: pick(conversionSelect, params.get("conversion")),
    lookback_days: params.get("lookback_days") || "30",
  };
}

async function load(range) {
  const q = question();
  modelSelect.value = q.model;
  conversionSelect.value = q.conversion;
  lookbackInput.value = q.lookback_days;
  return getJSON("/api/attribution", { ...rangeParams(range), ...q });
}

const conversionsText = (n) => (Number.isInteger(n) ? formatCount(n) : n.toFixed(2));

function renderChart(data) {
  drawChart(document.getElementById("attribution-chart"), {
    type: "bar",
    data: {
      labels: data.comparison.map((row) => row.label),
      datasets: data.models.map((m, i) => ({
        label: m.label,
        data: data.comparison.map((row) => row.models[m.model].conversions),
        backgroundColor: withAlpha(categoricalColor(i), 0.85),
        borderRadius: 3,
        maxBarThickness: 28,
      })),
    },
    options: {
      plugins: { tooltip: { callbacks: {
        label: (item) => {
          const c = data.comparison[item.dataIndex].models[data.models[item.datasetIndex].model];
          return `${item.dataset.label}: ${conversionsText(c.conversions)} (${formatPercent(c.share)}), `
            + `${formatMoney(c.value)}`;
        },
      } } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true } },
    },
  });
  document.getElementById("attribution-headline").textContent =
    `${formatCount(data.conversions)} “${data.conversion}” conversions worth ${formatMoney(data.value)}, `
    + `${formatCount(data.journeys.touches)} touches within ${data.lookback_days} days before them`;
}

function numberCell(text, raw) {
  const td = cell(text, { numeric: true });
  td.dataset.value = JSON.stringify(raw);
  return td;
}

function renderTable(data) {
  const table = document.getElementById("attribution-table");
  const head = ["Channel"];
  for (const m of data.models) head.push(`${m.label}: conversions`, "share", "value");
  table.tHead.rows[0].replaceChildren(...head.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i > 0) th.className = "num";
    return th;
  }));
  table.tBodies[0].replaceChildren(...data.comparison.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.key = row.channel;
    tr.append(cell(row.label));
    for (const m of data.models) {
      const c = row.models[m.model];
      tr.append(numberCell(conversionsText(c.conversions), c.conversions), numberCell(formatPercent(c.share), c.share),
        numberCell(formatMoney(c.value), c.value));
    }
    return tr;
  }));
}

function render(data) {
  showResolvedRange(data.start, data.end);
  renderChart(data);
  renderTable(data);
}

const refresh = startPage({ load, render });
bindOptions(form, () => writeQuery({
  model: modelSelect.value, conversion: conversionSelect.value, lookback_days: lookbackInput.value,
}), refresh);
