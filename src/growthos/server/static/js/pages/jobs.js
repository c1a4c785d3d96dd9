// Jobs: run history filtered by kind and status (kept in the URL), and the latest data-quality checks.

import { getJSON, postJSON } from "../api.js";
import { formatCount, formatDuration, formatTimestamp } from "../format.js";
import { startPage, toast } from "../page.js";
import { cell, pill } from "../table.js";

const kindSelect = document.getElementById("filter-kind");
const statusSelect = document.getElementById("filter-status");
const seenKinds = new Set();

function filters() {
  const params = new URLSearchParams(window.location.search);
  return { kind: params.get("kind") ?? "", status: params.get("status") ?? "" };
}

function showFilters() {
  const { kind, status } = filters();
  if (kind) seenKinds.add(kind);
  const options = [...seenKinds].sort().map((name) => new Option(name, name));
  kindSelect.replaceChildren(new Option("All kinds", ""), ...options);
  kindSelect.value = kind;
  statusSelect.value = status;
}

async function load() {
  const { kind, status } = filters();
  const [jobs, checks] = await Promise.all([
    getJSON("/api/jobs", { kind, status, limit: 200 }),
    getJSON("/api/checks"),
  ]);
  return { jobs: jobs.jobs, checks: checks.checks };
}

function rowsCell(rows) {
  const entries = Object.entries(rows ?? {});
  if (!entries.length) return cell("—", { numeric: true });
  const td = cell(formatCount(entries.reduce((sum, [, n]) => sum + n, 0)), { numeric: true });
  td.title = entries.map(([table, n]) => `${table}: ${formatCount(n)}`).join("\n");
  return td;
}

function errorCell(error) {
  if (!error) return cell("");
  const td = cell(error.length > 160 ? `${error.slice(0, 160)}…` : error, { className: "wrap error-text" });
  td.title = error;
  return td;
}

function renderJobs(jobs) {
  for (const job of jobs) seenKinds.add(job.kind);
  showFilters();
  const body = document.querySelector("#jobs-table tbody");
  body.replaceChildren(...jobs.map((job) => {
    const tr = document.createElement("tr");
    tr.dataset.key = String(job.id);
    const started = document.createElement("time");
    started.dateTime = job.started_at;
    started.textContent = formatTimestamp(job.started_at);
    tr.append(
      cell(String(job.id), { numeric: true }),
      cell(job.kind),
      cell(pill(job.status, job.status)),
      cell(started),
      cell(formatDuration(job.duration_s), { numeric: true }),
      rowsCell(job.rows),
      errorCell(job.error),
    );
    return tr;
  }));
  document.getElementById("jobs-empty").hidden = jobs.length > 0;
}

function renderChecks(checks) {
  const body = document.querySelector("#checks-table tbody");
  const number = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-US",
    { maximumFractionDigits: 4 }));
  body.replaceChildren(...checks.map((check) => {
    const tr = document.createElement("tr");
    tr.dataset.key = check.name;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = check.name;
    if (check.description) name.title = check.description;
    tr.append(
      name,
      cell(pill(check.status, check.status)),
      cell(number(check.observed), { numeric: true }),
      cell(number(check.threshold), { numeric: true }),
      cell(check.detail, { className: "wrap" }),
    );
    return tr;
  }));
}

const refresh = startPage({
  load,
  render({ jobs, checks }) {
    renderJobs(jobs);
    renderChecks(checks);
  },
});

function applyFilters() {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries({ kind: kindSelect.value, status: statusSelect.value })) {
    if (value) url.searchParams.set(key, value);
    else url.searchParams.delete(key);
  }
  history.pushState(null, "", url);
  refresh();
}

document.getElementById("job-filters").addEventListener("submit", (event) => event.preventDefault());
kindSelect.addEventListener("change", applyFilters);
statusSelect.addEventListener("change", applyFilters);
window.addEventListener("popstate", () => {
  showFilters();
  refresh();
});
showFilters();

const buildButton = document.getElementById("run-build");
buildButton?.addEventListener("click", async () => {
  buildButton.disabled = true;
  try {
    await postJSON("/api/builds");
    toast("Build started: the page refreshes when it finishes.");
  } catch (error) {
    toast(error.message);
  } finally {
    setTimeout(() => { buildButton.disabled = false; }, 1500);
  }
});
