// User lookup: search people by id or email, open one's profile (every id, activity, traits, features, events).
// The search (?q=) and the open profile (?user=) live in the URL.

import { getJSON } from "../api.js";
import { formatCount, formatTimestamp } from "../format.js";
import { startPage } from "../page.js";
import { bindOptions, queryParams, writeQuery } from "../query.js";
import { cell } from "../table.js";

const form = document.getElementById("user-search");
const queryInput = document.getElementById("user-query");
let refresh = null;

async function load() {
  const params = queryParams();
  const q = params.get("q") ?? "";
  const user = params.get("user") ?? "";
  queryInput.value = q;
  const [found, profile] = await Promise.all([
    q ? getJSON("/api/product/users", { q, limit: 20 }) : null,
    user ? getJSON(`/api/product/users/${encodeURIComponent(user)}`) : null,
  ]);
  return { found, profile };
}

function openProfile(id) {
  writeQuery({ user: id });
  refresh();
}

function renderUsers(found) {
  const table = document.getElementById("users-table");
  document.getElementById("matches").hidden = !found;
  document.getElementById("users-empty").hidden = !found || found.users.length > 0;
  table.hidden = !found || found.users.length === 0;
  if (!found) return;
  table.tBodies[0].replaceChildren(...found.users.map((u) => {
    const tr = document.createElement("tr");
    tr.dataset.key = u.person_id;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = u.person_id;
    button.addEventListener("click", () => openProfile(u.person_id));
    tr.append(cell(button), cell(u.email ?? "—"), cell(u.ids.join(", "), { className: "wrap" }),
      cell(formatTimestamp(u.first_seen)), cell(formatTimestamp(u.last_seen)), cell(formatCount(u.events), { numeric: true }));
    return tr;
  }));
}

function facts(list, entries) {
  list.replaceChildren(...entries.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value ?? "—");
    return [dt, dd];
  }));
}

function renderProfile(profile) {
  const section = document.getElementById("profile");
  section.hidden = !profile;
  if (!profile) return;
  document.getElementById("profile-title").textContent = `Profile of ${profile.person_id}`;
  facts(document.getElementById("profile-facts"), [
    ["Ids", profile.ids.join(", ")], ["First seen", formatTimestamp(profile.first_seen)],
    ["Last seen", formatTimestamp(profile.last_seen)], ["Events", formatCount(profile.total_events)],
  ]);
  const traits = Object.entries(profile.traits);
  facts(document.getElementById("profile-traits"), traits.length ? traits : [["—", "no identify traits"]]);
  document.getElementById("profile-features").replaceChildren(...profile.features_used.map((name) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.textContent = name;
    return chip;
  }));
  document.querySelector("#profile-top tbody").replaceChildren(...profile.top_events.map((e) => {
    const tr = document.createElement("tr");
    tr.append(cell(e.name), cell(formatCount(e.count), { numeric: true }));
    return tr;
  }));
  document.querySelector("#profile-recent tbody").replaceChildren(...profile.recent_events.map((e) => {
    const tr = document.createElement("tr");
    tr.append(cell(e.name ?? "—"), cell(e.type), cell(formatTimestamp(e.timestamp)));
    return tr;
  }));
}

function render({ found, profile }) {
  renderUsers(found);
  renderProfile(profile);
}

refresh = startPage({ load, render });
bindOptions(form, () => writeQuery({ q: queryInput.value.trim(), user: "" }), refresh);
window.addEventListener("popstate", () => refresh()); // back and forward (this page has no range picker)
