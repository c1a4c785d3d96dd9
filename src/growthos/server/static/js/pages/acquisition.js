// Acquisition and budget: a sortable per-channel table (cost, budget use, performance, sign-ups, user quality,
// LTV, ROAS) for the URL's range, and the budget advice for a total daily budget kept in the URL as ?total=.
// The advice does not depend on the range: changing the total fetches /api/budget alone, and its errors (a 422
// naming the field) are shown in its own section while the channel table stays.

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatMoney, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { queryParams, writeQuery } from "../query.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { cell, pill, sortableTable } from "../table.js";

const totalInput = document.getElementById("budget-total");
const budgetSection = document.getElementById("budget-section");
const budgetError = document.getElementById("budget-error");

const kpi = (name) => (row) => row.kpis[name]?.value ?? null;
const field = (name) => (row) => row[name] ?? null;
const multiple = (value) => (value === null || value === undefined ? "—" : `${value.toFixed(2)}×`);
const signed = (value) => (value === null || value === undefined ? "—"
  : `${value >= 0 ? "+" : ""}${value.toFixed(2)}`);

function utilisationCell(row) {
  if (row.utilisation === null || row.utilisation === undefined) return "—";
  const wrap = document.createElement("span");
  const meter = document.createElement("meter");
  meter.min = 0;
  meter.max = 1;
  meter.low = 0.5;
  meter.high = 0.95;
  meter.optimum = 0.8;
  meter.value = Math.min(row.utilisation, 1);
  meter.title = `${formatPercent(row.utilisation)} of the budget spent`;
  meter.setAttribute("aria-label", `${row.label}: ${formatPercent(row.utilisation)} of the budget spent`);
  wrap.append(meter, " ", formatPercent(row.utilisation));
  return wrap;
}

function channelCell(row) {
  const fragment = document.createDocumentFragment();
  fragment.append(row.label ?? row.channel ?? "—");
  if (row.is_paid) fragment.append(" ", pill("paid", "paid"));
  return fragment;
}

const COLUMNS = [
  { key: "channel", label: "Channel", value: (row) => row.label, cell: channelCell },
  { key: "group", label: "Group", value: field("group"), cell: (row) => row.group },
  { key: "spend", label: "Spend", numeric: true, value: kpi("ad_spend"),
    cell: (row) => formatMoney(kpi("ad_spend")(row)) },
  { key: "budget", label: "Budget", numeric: true, value: field("budget"), cell: (row) => formatMoney(row.budget),
    title: "Monthly budget prorated to the range's days" },
  { key: "utilisation", label: "Utilisation", numeric: true, value: field("utilisation"), cell: utilisationCell,
    title: "Spend ÷ budget" },
  { key: "remaining", label: "Remaining", numeric: true, value: field("remaining"),
    cell: (row) => formatMoney(row.remaining), title: "Budget − spend" },
  { key: "impressions", label: "Impressions", numeric: true, value: field("impressions"),
    cell: (row) => formatCount(row.impressions) },
  { key: "clicks", label: "Clicks", numeric: true, value: field("clicks"), cell: (row) => formatCount(row.clicks) },
  { key: "ctr", label: "CTR", numeric: true, value: kpi("ctr"), cell: (row) => formatPercent(kpi("ctr")(row), 2) },
  { key: "signups", label: "Sign-ups", numeric: true, value: field("signups"), cell: (row) => formatCount(row.signups),
    title: "Product sign-ups whose first session in the 30 days before came from the channel" },
  { key: "conversions", label: "Conversions", numeric: true, value: kpi("orders"),
    cell: (row) => formatCount(kpi("orders")(row)), title: "Orders" },
  { key: "conversion_rate", label: "Conversion rate", numeric: true, value: kpi("conversion_rate"),
    cell: (row) => formatPercent(kpi("conversion_rate")(row), 2), title: "Orders ÷ sessions" },
  { key: "cpa", label: "CPA", numeric: true, value: kpi("ncac"), cell: (row) => formatMoney(kpi("ncac")(row)),
    title: "Spend ÷ new customers (nCAC)" },
  { key: "cost_per_conversion", label: "Cost per conversion", numeric: true, value: field("cost_per_conversion"),
    cell: (row) => formatMoney(row.cost_per_conversion), title: "Spend ÷ orders" },
  { key: "user_quality", label: "User quality", numeric: true, value: field("user_quality"),
    cell: (row) => formatPercent(row.user_quality), title: "Share of the channel's sign-ups who activate" },
  { key: "ltv", label: "LTV 90d", numeric: true, value: field("ltv"), cell: (row) => formatMoney(row.ltv),
    title: "Net revenue per customer in the first 90 days of the customers the channel acquired" },
  { key: "roas", label: "ROAS", numeric: true, value: kpi("platform_roas"),
    cell: (row) => multiple(kpi("platform_roas")(row)), title: "Platform-reported purchase value ÷ spend" },
];

let table = null;

function renderAcquisition(data) {
  showResolvedRange(data.from, data.to);
  table ??= sortableTable(document.getElementById("acquisition-table"), COLUMNS, (row) => row.channel);
  table.setRows(data.rows);
  const b = data.budgets;
  const parts = [];
  if (b.budget !== null) {
    parts.push(`Budgeted channels spent ${formatMoney(b.spend)} of ${formatMoney(b.budget)} `
      + `(${formatPercent(b.utilisation)}) over ${b.days} days; ${formatMoney(b.remaining)} remaining.`);
    if (b.channels_without_rows.length) parts.push(`No activity: ${b.channels_without_rows.join(", ")}.`);
  } else {
    parts.push("No budgets are set (setting budgets: channel = monthly amount).");
  }
  if (data.signups) {
    parts.push(`${formatCount(data.signups.total)} “${data.signups.event}” sign-ups in the range.`);
  } else {
    parts.push("No product events collected: no sign-ups.");
  }
  document.getElementById("acquisition-headline").textContent = parts.join(" ");
  const other = document.getElementById("acquisition-other-signups");
  const others = Object.entries(data.signups?.other_channels ?? {});
  other.hidden = others.length === 0;
  other.textContent = others.length ? `Sign-ups from channels without orders or spend: ${others.map(
    ([channel, s]) => `${channel} ${formatCount(s.signups)} (quality ${formatPercent(s.user_quality)})`).join(", ")}.`
    : "";
}

function budgetQuestion() {
  const total = queryParams().get("total") ?? "";
  totalInput.value = total;
  return total === "" ? {} : { total };
}

function numberCell(text, raw) {
  const td = cell(text, { numeric: true });
  td.dataset.value = JSON.stringify(raw);
  return td;
}

function fillHead(tableElement, labels) {
  tableElement.tHead.rows[0].replaceChildren(...labels.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i > 0) th.className = "num";
    return th;
  }));
}

function renderBudget(advice) {
  budgetError.hidden = true;
  budgetError.textContent = "";
  document.getElementById("budget-headline").textContent =
    `Daily budget ${formatMoney(advice.total)}: expected effect ${signed(advice.effect)} new customers per day `
    + `(80% interval ${signed(advice.effect_low)} to ${signed(advice.effect_high)}).`;
  const tableElement = document.getElementById("budget-table");
  fillHead(tableElement, ["Channel", "Current daily spend", "Recommended", "Change", "Marginal now",
    "Marginal at recommended", "Expected effect", "80% low", "80% high"]);
  tableElement.tBodies[0].replaceChildren(...advice.channels.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.key = c.channel;
    const change = c.recommended_spend - c.current_spend;
    tr.append(cell(c.channel), numberCell(formatMoney(c.current_spend), c.current_spend),
      numberCell(formatMoney(c.recommended_spend), c.recommended_spend),
      numberCell(`${change >= 0 ? "+" : "−"}${formatMoney(Math.abs(change))}`, change),
      numberCell(c.marginal_current.toFixed(4), c.marginal_current),
      numberCell(c.marginal_recommended.toFixed(4), c.marginal_recommended),
      numberCell(signed(c.effect), c.effect), numberCell(signed(c.effect_low), c.effect_low),
      numberCell(signed(c.effect_high), c.effect_high));
    return tr;
  }));
  const rejected = document.getElementById("budget-rejected");
  rejected.replaceChildren(...(advice.rejected.length ? advice.rejected.map((r) => {
    const li = document.createElement("li");
    li.dataset.key = r.channel;
    li.textContent = `${r.channel}: ${r.reason}`;
    return li;
  }) : [Object.assign(document.createElement("li"), { textContent: "None: every channel with spend has a curve." })]));
  drawChart(document.getElementById("budget-chart"), {
    type: "bar",
    data: {
      labels: advice.channels.map((c) => c.channel),
      datasets: [
        { label: "Current", data: advice.channels.map((c) => c.current_spend),
          backgroundColor: withAlpha(cssColor("--chart-2"), 0.85), borderRadius: 3, maxBarThickness: 38 },
        { label: "Recommended", data: advice.channels.map((c) => c.recommended_spend),
          backgroundColor: withAlpha(cssColor("--chart-1"), 0.85), borderRadius: 3, maxBarThickness: 38 },
      ],
    },
    options: {
      plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatMoney(item.raw)} a day` } } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true } },
    },
  });
}

function showBudgetError(error) {
  budgetError.textContent = `Could not advise: ${error.message}`;
  budgetError.hidden = false;
  document.getElementById("budget-headline").textContent = "";
  document.getElementById("budget-table").tBodies[0].replaceChildren();
  document.getElementById("budget-rejected").replaceChildren();
}

let budgetGeneration = 0;

/** Fetch and draw the advice for the URL's total; a newer request supersedes an older one in flight. */
async function refreshBudget() {
  const mine = ++budgetGeneration;
  budgetSection.dataset.state = "loading";
  try {
    const advice = await getJSON("/api/budget", budgetQuestion());
    if (mine !== budgetGeneration) return;
    renderBudget(advice);
    budgetSection.dataset.state = "ready";
  } catch (error) {
    if (mine !== budgetGeneration) return;
    showBudgetError(error);
    budgetSection.dataset.state = "error";
  } finally {
    if (mine === budgetGeneration) {
      budgetSection.dataset.refreshes = String(Number(budgetSection.dataset.refreshes) + 1);
    }
  }
}

startPage({
  load: async (range) => {
    const [data] = await Promise.all([getJSON("/api/aarrr/acquisition", rangeParams(range)), refreshBudget()]);
    return data;
  },
  render: renderAcquisition,
});

document.getElementById("budget-options").addEventListener("submit", (event) => {
  event.preventDefault();
  writeQuery({ total: totalInput.value.trim() });
  refreshBudget();
});
