// AARRR funnel: the range's new people followed through activation, retention, referral and revenue, with the
// rate between each stage and the one it comes from, and the referral (K) and revenue numbers beside it.

import { getJSON } from "../api.js";
import { categoricalColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatMoney, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { cell } from "../table.js";
import { setCard } from "../telemetry_format.js";

const STAGE_COLORS = { Acquisition: 0, Activation: 1, Retention: 2, Referral: 3, Revenue: 4 };

async function load(range) {
  return getJSON("/api/aarrr/funnel", rangeParams(range));
}

function numberCell(text, raw) {
  const td = cell(text, { numeric: true });
  if (raw !== null && raw !== undefined) td.dataset.value = String(raw);
  return td;
}

function header(table, labels) {
  table.tHead.rows[0].replaceChildren(...labels.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i > 1) th.className = "num";
    return th;
  }));
}

function renderCards(data) {
  const stage = Object.fromEntries(data.stages.map((s) => [s.key, s]));
  const r = data.referral;
  setCard("new_people", formatCount(stage.new_people.people), stage.new_people.people, "first seen in the range");
  setCard("signed_up", formatCount(stage.signed_up.people), stage.signed_up.people,
    `${formatPercent(stage.signed_up.rate_from_parent)} of new people`);
  setCard("activated", formatPercent(stage.activated.rate_from_parent), stage.activated.rate_from_parent,
    `${formatCount(stage.activated.people)} activated, ${formatCount(stage.activated.pending)} pending`);
  setCard("retained", formatPercent(stage.retained.rate_from_parent), stage.retained.rate_from_parent,
    `${formatCount(stage.retained.people)} active again, ${formatCount(stage.retained.pending)} pending`);
  setCard("viral_coefficient", r.viral_coefficient === null ? "—" : r.viral_coefficient.toFixed(3),
    r.viral_coefficient, `${formatCount(r.invites_sent)} invites, ${formatPercent(r.acceptance_rate)} accepted`);
  setCard("new_mrr", formatMoney(data.revenue.new_mrr), data.revenue.new_mrr,
    `${formatCount(data.revenue.subscribers)} new subscribers`);
}

function renderChart(data) {
  drawChart(document.getElementById("aarrr-chart"), {
    type: "bar",
    data: {
      labels: data.stages.map((s) => `${s.stage}: ${s.label}`),
      datasets: [{ label: "People", data: data.stages.map((s) => s.people), borderRadius: 3, maxBarThickness: 64,
        backgroundColor: data.stages.map((s) => withAlpha(categoricalColor(STAGE_COLORS[s.stage]), 0.85)) }],
    },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: {
        label: (item) => {
          const s = data.stages[item.dataIndex];
          const from = s.parent ? `, ${formatPercent(s.rate_from_parent)} of the previous stage` : "";
          return `${formatCount(s.people)} people${from}, ${formatPercent(s.rate_from_top)} of the top`;
        },
      } } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

function renderStages(data) {
  const table = document.getElementById("aarrr-stages");
  header(table, ["Stage", "Step", "People", "From previous stage", "From the top", "Pending"]);
  const labels = Object.fromEntries(data.stages.map((s) => [s.key, s.label]));
  table.tBodies[0].replaceChildren(...data.stages.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.key = s.key;
    const step = cell(s.label);
    if (s.parent) step.title = `Part of: ${labels[s.parent]}`;
    tr.append(cell(s.stage), step, numberCell(formatCount(s.people), s.people),
      numberCell(formatPercent(s.rate_from_parent), s.rate_from_parent),
      numberCell(formatPercent(s.rate_from_top), s.rate_from_top), numberCell(formatCount(s.pending), s.pending));
    return tr;
  }));
}

function renderReferral(data) {
  const r = data.referral;
  const rev = data.revenue;
  const rows = [
    ["active_users", "Active people in the range", formatCount(r.active_users), r.active_users],
    ["senders", "People who sent an invite", formatCount(r.senders), r.senders],
    ["invites_sent", "Invites sent", formatCount(r.invites_sent), r.invites_sent],
    ["invites_per_user", "Invites per active person (i)", r.invites_per_user === null ? "—" :
      r.invites_per_user.toFixed(3), r.invites_per_user],
    ["acceptance_rate", "Invites accepted (c)", formatPercent(r.acceptance_rate), r.acceptance_rate],
    ["viral_coefficient", "Viral coefficient K = i × c", r.viral_coefficient === null ? "—" :
      r.viral_coefficient.toFixed(3), r.viral_coefficient],
    ["referral_rate", "Sign-ups who came by invitation", formatPercent(r.referral_rate), r.referral_rate],
    ["subscribers", "New subscribers", formatCount(rev.subscribers), rev.subscribers],
    ["new_mrr", "New MRR", formatMoney(rev.new_mrr), rev.new_mrr],
    ["net_revenue", "Shop net revenue", formatMoney(rev.net_revenue), rev.net_revenue],
  ];
  const table = document.getElementById("aarrr-referral");
  header(table, ["Measure", "Value"]);
  table.tHead.rows[0].cells[1].className = "num";
  table.tBodies[0].replaceChildren(...rows.map(([key, label, text, raw]) => {
    const tr = document.createElement("tr");
    tr.dataset.key = key;
    tr.append(cell(label), numberCell(text, raw));
    return tr;
  }));
}

function render(data) {
  showResolvedRange(data.start, data.end);
  renderCards(data);
  renderChart(data);
  renderStages(data);
  renderReferral(data);
}

startPage({ load, render });
