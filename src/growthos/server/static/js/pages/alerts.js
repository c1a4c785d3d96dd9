// Alerts: one card per alert (severity, rule, message, recommendation, fired / last seen, status) with
// Acknowledge and Resolve for admin sessions; the rules in force. Live: alert_fired, alert_acknowledged and
// alert_resolved refetch the list (page.js toasts new alerts and anomalies on every page).

import { getJSON, postJSON } from "../api.js";
import { formatDuration } from "../format.js";
import { startPage, toast } from "../page.js";
import { cell, pill } from "../table.js";

const ADMIN = document.body.dataset.scope === "admin";
const list = document.getElementById("alert-list");
const empty = document.getElementById("alerts-empty");
const statusSelect = document.getElementById("filter-status");

const params = new URLSearchParams(window.location.search);
if ([...statusSelect.options].some((o) => o.value === params.get("status"))) statusSelect.value = params.get("status");

const timestamp = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });
const when = (iso) => (iso ? `${timestamp.format(new Date(iso))} UTC` : "—");

async function load() {
  const [alerts, rules] = await Promise.all([
    getJSON("/api/alerts", { status: statusSelect.value, limit: 200 }),
    getJSON("/api/alerts/rules"),
  ]);
  return { alerts, rules };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function fact(label, value, role) {
  const wrap = element("div");
  wrap.append(element("dt", "", label));
  const dd = element("dd", "", value);
  if (role) dd.dataset.role = role;
  wrap.append(dd);
  return wrap;
}

async function act(alert, action, button) {
  button.disabled = true;
  try {
    const updated = await postJSON(`/api/alerts/${alert.id}/${action}`);
    toast(`Alert ${updated.id} (${updated.rule}) is ${updated.status}.`);
    await refresh();
  } catch (error) {
    toast(`Could not ${action === "ack" ? "acknowledge" : "resolve"} the alert: ${error.message}`);
    button.disabled = false;
  }
}

function renderAlert(alert) {
  const item = element("li", `card alert-card severity-${alert.severity}`);
  item.dataset.alertId = String(alert.id);
  item.dataset.status = alert.status;
  const head = element("div", "alert-card-head");
  head.append(element("span", `severity-badge severity-${alert.severity}`, alert.severity));
  const title = element("h3", "alert-rule", alert.rule);
  title.id = `alert-${alert.id}-title`;
  item.setAttribute("aria-labelledby", title.id);
  head.append(title);
  const status = pill(alert.status, { open: "fail", acknowledged: "warn", resolved: "pass" }[alert.status] ?? "warn");
  status.dataset.role = "status";
  head.append(status);
  item.append(head);
  const message = element("p", "alert-message", alert.message);
  message.dataset.role = "message";
  item.append(message);
  if (alert.recommendation) {
    const rec = element("p", "alert-recommendation");
    rec.dataset.role = "recommendation";
    rec.append(element("strong", "", "Recommendation: "), alert.recommendation);
    item.append(rec);
  }
  const facts = element("dl", "alert-facts");
  facts.append(fact("Fired", when(alert.fired_at), "fired"));
  facts.append(fact("Last seen", when(alert.last_seen_at), "last-seen"));
  facts.append(fact("Occurrences", String(alert.occurrences ?? 1), "occurrences"));
  if (alert.acknowledged_at) facts.append(fact("Acknowledged", when(alert.acknowledged_at), "acknowledged"));
  if (alert.resolved_at) {
    facts.append(fact("Resolved", `${when(alert.resolved_at)}${alert.resolved_by ? ` (${alert.resolved_by})` : ""}`,
      "resolved"));
  }
  item.append(facts);
  if (ADMIN && alert.status !== "resolved") {
    const actions = element("div", "alert-actions");
    if (alert.status === "open") {
      const ack = element("button", "button", "Acknowledge");
      ack.type = "button";
      ack.dataset.action = "ack";
      ack.addEventListener("click", () => act(alert, "ack", ack));
      actions.append(ack);
    }
    const resolve = element("button", "button button-secondary", "Resolve");
    resolve.type = "button";
    resolve.dataset.action = "resolve";
    resolve.addEventListener("click", () => act(alert, "resolve", resolve));
    actions.append(resolve);
    item.append(actions);
  }
  return item;
}

function renderRules(rules) {
  const body = document.querySelector("#rules-table tbody");
  body.replaceChildren(...rules.rules.map((rule) => {
    const tr = document.createElement("tr");
    tr.dataset.key = rule.name;
    const name = element("th", "", rule.name);
    name.scope = "row";
    tr.append(name, cell(rule.kind), cell(rule.metric ?? "—"),
      cell(element("span", `severity-badge severity-${rule.severity}`, rule.severity)),
      cell(formatDuration(rule.cooldown_s), { numeric: true }), cell(rule.source),
      cell(rule.enabled ? "yes" : "no"));
    return tr;
  }));
}

function render({ alerts, rules }) {
  const counts = alerts.counts;
  document.getElementById("alert-counts").textContent =
    `${counts.open} open · ${counts.acknowledged} acknowledged · ${counts.resolved} resolved`;
  list.replaceChildren(...alerts.alerts.map(renderAlert));
  empty.hidden = alerts.alerts.length > 0;
  renderRules(rules);
}

const refresh = startPage({
  load,
  render,
  on: { alert_fired: () => refresh(), alert_acknowledged: () => refresh(), alert_resolved: () => refresh() },
});

statusSelect.addEventListener("change", () => {
  const url = new URL(window.location.href);
  if (statusSelect.value === "active") url.searchParams.delete("status");
  else url.searchParams.set("status", statusSelect.value);
  window.history.replaceState(null, "", url);
  refresh();
});

document.getElementById("evaluate-now")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const report = await postJSON("/api/alerts/evaluate");
    const fired = report.rules.filter((r) => r.status === "new").length;
    toast(`Evaluated ${report.rules.length} rules: ${fired} new alert${fired === 1 ? "" : "s"}.`);
    await refresh();
  } catch (error) {
    toast(`Could not evaluate the rules: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});
