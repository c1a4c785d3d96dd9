// Connections: list (secrets masked, last test), create / edit / delete through a form built from the
// connector's fields, Test, and "Connect with Google" for Google Ads and GA4 (the OAuth start route).
// Needs an admin session; writes carry the session's CSRF token.

import { ApiError, csrfToken, getJSON, postJSON } from "../api.js";
import { formatTimestamp } from "../format.js";
import { startPage, toast } from "../page.js";
import { cell, pill } from "../table.js";

const ADMIN = document.body.dataset.scope === "admin";
const GOOGLE_KINDS = new Set(["google_ads", "ga4"]);
const OAUTH_START = "/api/connections/google/oauth/start";

const form = document.getElementById("connection-form");
const kindSelect = document.getElementById("connection-kind");
const nameInput = document.getElementById("connection-name");
const fieldsBox = document.getElementById("connection-fields");
const advanced = document.getElementById("connection-advanced");
const baseUrlInput = document.getElementById("connection-api-base-url");
const formError = document.getElementById("form-error");
const saveButton = document.getElementById("connection-save");
const cancelButton = document.getElementById("connection-cancel");

let connectors = new Map(); // kind -> {kind, label, fields}
let connections = new Map(); // name -> connection as the API shows it
let editing = null; // the connection being edited, or null when creating

// -- requests ------------------------------------------------------------------------------------------------

/** Writes from the form: same-origin, CSRF header; problem details become an ApiError naming the field. */
async function send(method, path, body) {
  const response = await fetch(new URL(path, window.location.origin), {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign("/login");
    throw new ApiError("Your session has ended: log in again.");
  }
  if (!response.ok) throw await problemError(response);
  return response.status === 204 ? null : response.json();
}

async function problemError(response) {
  let detail = response.statusText;
  let field = null;
  try {
    const problem = await response.json();
    detail = problem.detail || problem.title || detail;
    field = problem.invalid_params?.[0]?.name ?? null;
  } catch {
    // not a problem+json body
  }
  const error = new ApiError(detail);
  error.field = field;
  return error;
}

/** Errors from api.js read "path: detail (HTTP n)"; show the detail only. */
function message(error) {
  const match = /^\/api\/[^:]*: (.*) \(HTTP \d+\)$/s.exec(error.message);
  return match ? match[1] : error.message;
}

const path = (name) => `/api/connections/${encodeURIComponent(name)}`;

// -- the table -----------------------------------------------------------------------------------------------

function showResult(text, ok) {
  const result = document.getElementById("action-result");
  result.replaceChildren(pill(ok ? "OK" : "Failed", ok ? "pass" : "fail"), ` ${text}`);
  result.dataset.ok = String(ok);
  result.hidden = false;
}

function listCell(entries, { code = false } = {}) {
  if (!entries.length) return cell("—");
  const td = cell("", { className: code ? "" : "wrap" });
  td.style.overflowWrap = "anywhere"; // long URLs break instead of widening the table
  td.replaceChildren(...entries.flatMap(([key, value], i) => {
    const item = document.createElement(code ? "code" : "span");
    item.textContent = `${key}: ${value}`;
    return i ? [document.createElement("br"), item] : [item];
  }));
  return td;
}

function lastTestCell(test) {
  if (!test) return cell("Never tested", { className: "muted" });
  const td = cell("", { className: "wrap" });
  const when = document.createElement("time");
  when.dateTime = test.at;
  when.textContent = formatTimestamp(test.at);
  const text = document.createElement("span");
  text.className = "test-message";
  text.textContent = ` ${test.message ?? ""} `;
  td.replaceChildren(pill(test.ok ? "OK" : "Failed", test.ok ? "pass" : "fail"), text, when);
  return td;
}

function actionButton(label, action, name, className = "button-secondary") {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.dataset.action = action;
  button.dataset.name = name;
  button.textContent = label;
  return button;
}

function actionsCell(connection) {
  const td = cell("", { className: "wrap actions" });
  td.style.minWidth = "11rem";
  const buttons = [actionButton("Test", "test", connection.name), actionButton("Edit", "edit", connection.name)];
  if (GOOGLE_KINDS.has(connection.kind)) buttons.push(actionButton("Connect with Google", "google", connection.name));
  buttons.push(actionButton("Delete", "delete", connection.name, "button-quiet-dark"));
  td.replaceChildren(...buttons.flatMap((b, i) => (i ? [" ", b] : [b])));
  return td;
}

function renderTable(list) {
  const body = document.querySelector("#connections-table tbody");
  if (!list.length) {
    const tr = document.createElement("tr");
    const td = cell("No connections yet: create one below.", { className: "empty" });
    td.colSpan = 6;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...list.map((connection) => {
    const tr = document.createElement("tr");
    tr.dataset.key = connection.name;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = connection.name;
    const settings = Object.entries(connection.settings ?? {});
    if (connection.api_base_url) settings.push(["api_base_url", connection.api_base_url]);
    tr.append(
      name,
      cell(connectors.get(connection.kind)?.label ?? connection.kind),
      listCell(settings),
      listCell(Object.entries(connection.secrets ?? {}), { code: true }),
      lastTestCell(connection.last_test),
      actionsCell(connection),
    );
    return tr;
  }));
}

// -- the form ------------------------------------------------------------------------------------------------

function fillKinds() {
  const selected = kindSelect.value;
  kindSelect.replaceChildren(new Option("Choose…", ""),
    ...[...connectors.values()].map((c) => new Option(c.label, c.kind)));
  kindSelect.value = connectors.has(selected) ? selected : "";
}

function fieldInput(field, connection) {
  const label = document.createElement("label");
  label.className = "builder-row";
  const input = document.createElement("input");
  input.name = field.name;
  input.id = `field-${field.name}`;
  input.dataset.secret = String(field.secret);
  input.autocomplete = field.secret ? "new-password" : "off";
  input.spellcheck = false;
  input.size = 36;
  input.maxLength = field.secret ? 8192 : 2048;
  if (field.secret) {
    input.type = "password";
    const masked = connection?.secrets?.[field.name];
    if (masked) input.placeholder = `unchanged (${masked})`;
    input.required = field.required && !masked;
  } else {
    input.type = "text";
    const value = connection?.settings?.[field.name];
    input.value = value === undefined || value === null ? "" : String(value);
    input.required = field.required;
  }
  if (field.help) input.title = field.help;
  const text = `${field.label}${field.required ? "" : " (optional)"}`;
  label.append(text, input);
  if (field.help) {
    const help = document.createElement("span");
    help.className = "muted";
    help.textContent = field.help;
    label.append(help);
  }
  return label;
}

function showFields() {
  const connector = connectors.get(kindSelect.value);
  fieldsBox.replaceChildren(...(connector?.fields ?? []).map((f) => fieldInput(f, editing)));
  advanced.hidden = !connector;
}

function resetForm() {
  editing = null;
  form.reset();
  nameInput.readOnly = false;
  kindSelect.disabled = false;
  document.getElementById("form-title").textContent = "New connection";
  saveButton.textContent = "Create connection";
  cancelButton.hidden = true;
  showError(null);
  showFields();
}

function startEditing(name) {
  const connection = connections.get(name);
  if (!connection) return;
  editing = connection;
  kindSelect.value = connection.kind;
  kindSelect.disabled = true;
  nameInput.value = connection.name;
  nameInput.readOnly = true;
  baseUrlInput.value = connection.api_base_url ?? "";
  document.getElementById("form-title").textContent = `Edit ${connection.name}`;
  saveButton.textContent = "Save changes";
  cancelButton.hidden = false;
  showError(null);
  showFields();
  form.scrollIntoView({ block: "nearest" });
  nameInput.focus();
}

function showError(error) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  formError.hidden = !error;
  formError.textContent = error ? message(error) : "";
  const culprit = error?.field && form.querySelector(`[name="${CSS.escape(error.field)}"]`);
  if (culprit) culprit.setAttribute("aria-invalid", "true");
}

function formValues() {
  const values = {};
  for (const input of fieldsBox.querySelectorAll("input")) {
    const value = input.value.trim();
    if (input.dataset.secret === "true") {
      if (value) values[input.name] = value; // a secret left empty keeps its value
    } else if (value) {
      values[input.name] = value;
    } else if (editing && editing.settings?.[input.name] !== undefined) {
      values[input.name] = null; // cleared: remove the optional setting
    }
  }
  return values;
}

async function save(event) {
  event.preventDefault();
  showError(null);
  if (!editing && !kindSelect.value) {
    showError(Object.assign(new ApiError("Choose a connector."), { field: "kind" }));
    return;
  }
  const baseUrl = baseUrlInput.value.trim() || null;
  saveButton.disabled = true;
  try {
    if (editing) {
      const body = { values: formValues() };
      if (baseUrl !== (editing.api_base_url ?? null)) body.api_base_url = baseUrl;
      await send("PATCH", path(editing.name), body);
      toast(`Saved ${editing.name}.`);
    } else {
      const created = await send("POST", "/api/connections", {
        name: nameInput.value.trim(), kind: kindSelect.value, values: formValues(), api_base_url: baseUrl,
      });
      toast(`Created ${created.name}.`);
    }
    resetForm();
    await refresh();
  } catch (error) {
    showError(error);
  } finally {
    saveButton.disabled = false;
  }
}

// -- actions -------------------------------------------------------------------------------------------------

async function runTest(name, button) {
  button.disabled = true;
  try {
    const result = await postJSON(`${path(name)}/test`);
    showResult(`${name}: ${result.message}`, result.ok);
  } catch (error) {
    showResult(`${name}: ${message(error)}`, false);
  } finally {
    button.disabled = false;
  }
  await refresh();
}

async function remove(name) {
  if (!window.confirm(`Delete the connection ${name} and its stored secrets?`)) return;
  try {
    await send("DELETE", path(name));
    if (editing?.name === name) resetForm();
    toast(`Deleted ${name}.`);
  } catch (error) {
    showResult(`${name}: ${message(error)}`, false);
  }
  await refresh();
}

async function connectGoogle(name, button) {
  button.disabled = true;
  try {
    const { authorization_url: url } = await getJSON(OAUTH_START, { connection: name });
    window.location.assign(url);
  } catch (error) {
    showResult(`${name}: ${message(error)}`, false);
    button.disabled = false;
  }
}

function onTableClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, name } = button.dataset;
  if (action === "test") runTest(name, button);
  else if (action === "edit") startEditing(name);
  else if (action === "delete") remove(name);
  else if (action === "google") connectGoogle(name, button);
}

// -- the outcome of a Google authorization (the callback redirects here with it) --------------------------------

function showOAuthOutcome() {
  const url = new URL(window.location.href);
  const outcome = url.searchParams.get("oauth");
  if (!outcome) return;
  const name = url.searchParams.get("connection") ?? "";
  const ok = outcome === "connected";
  const box = document.getElementById("oauth-result");
  const badge = document.getElementById("oauth-outcome");
  badge.className = `pill pill-${ok ? "pass" : "fail"}`;
  badge.textContent = ok ? "Connected" : "Not connected";
  document.getElementById("oauth-message").textContent = ok
    ? `${name} is connected with Google: its refresh token is stored, encrypted.`
    : `${name}: ${url.searchParams.get("message") ?? "the authorization failed"}`;
  box.dataset.outcome = ok ? "connected" : "error";
  box.hidden = false;
  for (const key of ["oauth", "connection", "message"]) url.searchParams.delete(key);
  history.replaceState(null, "", url); // a reload does not show it again
}

// -- start ---------------------------------------------------------------------------------------------------

showOAuthOutcome();

const refresh = startPage({
  async load() {
    if (!ADMIN) return null;
    const [kinds, list] = await Promise.all([getJSON("/api/connectors"), getJSON("/api/connections")]);
    return { kinds: kinds.connectors, list: list.connections };
  },
  render(data) {
    if (!data) return; // not an admin: the template says so
    connectors = new Map(data.kinds.map((c) => [c.kind, c]));
    connections = new Map(data.list.map((c) => [c.name, c]));
    fillKinds();
    if (!editing && !fieldsBox.children.length) showFields();
    renderTable(data.list);
  },
});

if (ADMIN) {
  document.querySelector("#connections-table tbody").addEventListener("click", onTableClick);
  kindSelect.addEventListener("change", showFields);
  form.addEventListener("submit", save);
  cancelButton.addEventListener("click", resetForm);
}
