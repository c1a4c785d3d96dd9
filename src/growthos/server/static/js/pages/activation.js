// Activation: the range's sign-ups — activation rate, scores, time to activate, each definition's reach — and the
// onboarding funnel with its bottleneck highlighted and what to do about it.

import { getJSON } from "../api.js";
import { cssColor, drawChart, withAlpha } from "../charts.js";
import { formatCount, formatDuration, formatPercent } from "../format.js";
import { startPage } from "../page.js";
import { rangeParams, showResolvedRange } from "../range.js";
import { cell, pill } from "../table.js";
import { setCard } from "../telemetry_format.js";

async function load(range) {
  const params = rangeParams(range);
  const [activation, bottlenecks] = await Promise.all([
    getJSON("/api/aarrr/activation", params), getJSON("/api/aarrr/activation/bottlenecks", params)]);
  return { activation, bottlenecks };
}

function numberCell(text, raw) {
  const td = cell(text, { numeric: true });
  if (raw !== null && raw !== undefined) td.dataset.value = String(raw);
  return td;
}

function header(table, labels, firstNumeric) {
  table.tHead.rows[0].replaceChildren(...labels.map((label, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    if (i >= firstNumeric) th.className = "num";
    return th;
  }));
}

function renderCards(a) {
  const t = a.time_to_activate;
  setCard("signups", formatCount(a.signups), a.signups, `${formatCount(a.in_progress)} still within their window`);
  setCard("activation_rate", formatPercent(a.activation_rate), a.activation_rate,
    `${formatCount(a.activated)} activated`);
  setCard("average_score", a.average_score === null ? "—" : a.average_score.toFixed(1), a.average_score,
    `median ${a.median_score === null ? "—" : a.median_score.toFixed(1)}`);
  setCard("median_time", formatDuration(t.median_seconds), t.median_seconds, `mean ${formatDuration(t.mean_seconds)}`);
  setCard("p75_time", formatDuration(t.p75_seconds), t.p75_seconds, "three in four activate sooner");
}

function bars(canvas, buckets, color, what) {
  drawChart(canvas, {
    type: "bar",
    data: { labels: buckets.map((b) => b.label),
      datasets: [{ label: what, data: buckets.map((b) => b.people), backgroundColor: withAlpha(color, 0.85),
        borderRadius: 3, maxBarThickness: 56 }] },
    options: { plugins: { legend: { display: false } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function renderDefinitions(a) {
  const table = document.getElementById("activation-definitions");
  header(table, ["Definition", "Core", "Weight", "Reached", "Reach", "From prerequisites"], 2);
  table.tBodies[0].replaceChildren(...a.definitions.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.key = d.name;
    const name = cell(d.label);
    if (d.prerequisites.length) name.title = `After: ${d.prerequisites.join(", ")}`;
    tr.append(name, cell(d.core ? pill("core", "paid") : ""), numberCell(String(d.weight), d.weight),
      numberCell(formatCount(d.reached), d.reached), numberCell(formatPercent(d.reach_rate), d.reach_rate),
      numberCell(formatPercent(d.conversion_from_prerequisites), d.conversion_from_prerequisites));
    return tr;
  }));
}

function renderOnboarding(b) {
  const worst = b.bottleneck;
  const recommendation = document.getElementById("bottleneck-recommendation");
  recommendation.textContent = worst ? worst.recommendation
    : "No bottleneck: every step converts within reach of the others, the previous period and each segment.";
  recommendation.dataset.step = worst ? String(worst.step) : "";
  document.getElementById("bottleneck-findings").replaceChildren(...b.findings.slice(1).map((f) => {
    const li = document.createElement("li");
    li.dataset.kind = f.kind;
    li.textContent = f.recommendation;
    return li;
  }));
  const accent = cssColor("--chart-1");
  const bad = cssColor("--bad");
  drawChart(document.getElementById("onboarding-chart"), {
    type: "bar",
    data: { labels: b.steps.map((s, i) => (i === 0 ? s : `${i}. ${s}`)),
      datasets: [{ label: "People", data: b.people, borderRadius: 3, maxBarThickness: 64,
        backgroundColor: b.steps.map((_, i) => withAlpha(worst && worst.step === i ? bad : accent, 0.85)) }] },
    options: { plugins: { legend: { display: false } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const table = document.getElementById("onboarding-steps");
  const segments = b.segments.map((s) => s.value);
  header(table, ["Step", "", "People", "Conversion", "Previous period", ...segments.map((v) => `${v}`)], 2);
  const first = document.createElement("tr");
  first.dataset.key = "0";
  first.append(cell(b.steps[0]), cell(""), numberCell(formatCount(b.people[0]), b.people[0]), cell(""), cell(""),
    ...segments.map(() => cell("")));
  table.tBodies[0].replaceChildren(first, ...b.transitions.map((t) => {
    const tr = document.createElement("tr");
    tr.dataset.key = String(t.step);
    const flagged = b.findings.some((f) => f.step === t.step);
    if (worst && worst.step === t.step) tr.dataset.bottleneck = "true";
    tr.append(cell(`${t.step}. ${t.to_step}`), cell(flagged ? pill(worst && worst.step === t.step ? "bottleneck"
      : "watch", worst && worst.step === t.step ? "fail" : "warn") : ""),
    numberCell(formatCount(t.converted), t.converted), numberCell(formatPercent(t.rate), t.rate),
    numberCell(formatPercent(t.previous_rate), t.previous_rate),
    ...b.segments.map((s) => numberCell(formatPercent(s.rates[t.step - 1]), s.rates[t.step - 1])));
    return tr;
  }));
}

function renderReleases(b) {
  const table = document.getElementById("release-rates");
  const steps = b.transitions.map((t) => t.step);
  header(table, ["Release", ...b.transitions.map((t) => `${t.step}. ${t.to_step}`)], 1);
  const releases = [...new Set(b.releases.map((r) => r.version))];
  const flagged = new Set(b.findings.filter((f) => f.kind === "release_drop").map((f) => `${f.segment}|${f.step}`));
  table.tBodies[0].replaceChildren(...releases.map((version) => {
    const tr = document.createElement("tr");
    tr.dataset.key = version;
    tr.append(cell(version), ...steps.map((step) => {
      const r = b.releases.find((x) => x.version === version && x.step === step);
      const td = numberCell(r ? `${formatPercent(r.rate)} (${formatCount(r.converted)}/${formatCount(r.entered)})`
        : "—", r ? r.rate : null);
      if (!r) td.dataset.value = "null"; // keeps the cells of a row aligned with the steps
      if (flagged.has(`${version}|${step}`)) {
        td.dataset.flagged = "true";
        td.style.color = cssColor("--bad");
        td.style.fontWeight = "650";
      }
      return td;
    }));
    return tr;
  }));
}

function render({ activation, bottlenecks }) {
  showResolvedRange(activation.start, activation.end);
  renderCards(activation);
  renderOnboarding(bottlenecks);
  renderReleases(bottlenecks);
  renderDefinitions(activation);
  bars(document.getElementById("score-chart"), activation.score_distribution, cssColor("--chart-1"), "Sign-ups");
  bars(document.getElementById("time-chart"), activation.time_to_activate.distribution, cssColor("--chart-2") ||
    cssColor("--chart-1"), "Activated people");
}

startPage({ load, render });
