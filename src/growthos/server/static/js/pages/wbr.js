// Weekly Business Review: the review of a complete week as the API writes it (its HTML, escaped on the server
// and sanitised again here before it is shown, headings moved under the page's), a week picker, "Copy Markdown" (the clipboard API, with a
// fallback), and the facts table tracing every number to its snapshot diff, forecast, anomaly or alert.

import { ApiError, getJSON } from "../api.js";
import { formatDate } from "../format.js";
import { startPage, toast } from "../page.js";
import { cell } from "../table.js";

const form = document.getElementById("wbr-form");
const weekInput = document.getElementById("wbr-week");
const report = document.getElementById("wbr-report");
const fallback = document.getElementById("wbr-fallback");
const markdownBox = document.getElementById("wbr-markdown");
const copyButton = document.getElementById("wbr-copy");

let markdown = "";

const requestedWeek = () => new URLSearchParams(window.location.search).get("week_end") || "";

async function getText(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) if (value) url.searchParams.set(key, value);
  const response = await fetch(url, { credentials: "same-origin" });
  if (response.status === 401) {
    window.location.assign("/login");
    throw new ApiError("Your session has ended: log in again.");
  }
  if (!response.ok) throw new ApiError(`${path}: HTTP ${response.status}`);
  return response.text();
}

async function load() {
  const week = requestedWeek();
  // The JSON first: it takes the week's snapshots when they are missing; the two renderings then reuse them.
  const review = await getJSON("/api/wbr", { week_end: week, format: "json" });
  const [html, text] = await Promise.all([
    getText("/api/wbr", { week_end: review.week_end, format: "html", fragment: "true" }),
    getText("/api/wbr", { week_end: review.week_end, format: "markdown" }),
  ]);
  return { review, html, markdown: text };
}

// The review's HTML is escaped by the server; only these elements and attributes are kept all the same.
const ALLOWED = new Set(["ARTICLE", "SECTION", "H1", "H2", "H3", "H4", "P", "UL", "OL", "LI", "STRONG", "EM", "B",
  "I", "SPAN", "CODE", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "BR", "SMALL"]);
const ATTRIBUTES = new Set(["class", "id", "title", "scope", "colspan", "rowspan"]);

function sanitised(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const copy = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    if (!ALLOWED.has(node.tagName)) {
      // Unknown elements keep their text only; scripts and styles are dropped whole.
      if (["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT"].includes(node.tagName)) return null;
      return document.createTextNode(node.textContent);
    }
    // The page has its own h1 and the card its h2: the review's headings go two levels down.
    const heading = /^H([1-4])$/.exec(node.tagName);
    const element = document.createElement(heading ? `h${Number(heading[1]) + 2}` : node.tagName.toLowerCase());
    for (const attribute of node.attributes) {
      if (ATTRIBUTES.has(attribute.name) || /^data-[a-z0-9-]+$/.test(attribute.name)) {
        element.setAttribute(attribute.name, attribute.value);
      }
    }
    for (const child of node.childNodes) {
      const copied = copy(child);
      if (copied) element.append(copied);
    }
    return element;
  };
  return [...parsed.body.childNodes].map(copy).filter(Boolean);
}

function renderFacts(facts) {
  const body = document.querySelector("#facts-table tbody");
  body.replaceChildren(...facts.map((fact) => {
    const tr = document.createElement("tr");
    tr.dataset.key = fact.id;
    const id = document.createElement("th");
    id.scope = "row";
    id.textContent = fact.id;
    tr.append(id, cell(fact.text), cell(fact.metric || "—"), cell(fact.field || "—"), cell(fact.key ?? "—"),
      cell(fact.source));
    return tr;
  }));
}

function render(data) {
  const { review } = data;
  markdown = data.markdown;
  markdownBox.value = markdown;
  fallback.hidden = true;
  report.replaceChildren(...sanitised(data.html));
  report.dataset.weekEnd = review.week_end;
  weekInput.value = review.week_end;
  document.getElementById("wbr-period").textContent =
    `${formatDate(review.week_start)} – ${formatDate(review.week_end)}, compared with `
    + `${formatDate(review.previous_start)} – ${formatDate(review.previous_end)} (${review.source})`;
  renderFacts(review.facts);
}

const refresh = startPage({ load, render });

function showWeek(weekEnd) {
  const url = new URL(window.location.href);
  if (weekEnd) url.searchParams.set("week_end", weekEnd);
  else url.searchParams.delete("week_end");
  window.history.pushState(null, "", url);
  refresh();
}

function shift(days) {
  const current = report.dataset.weekEnd || weekInput.value;
  if (!current) return;
  const day = new Date(Date.parse(`${current}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  showWeek(day);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  showWeek(weekInput.value);
});
document.getElementById("wbr-previous").addEventListener("click", () => shift(-7));
document.getElementById("wbr-next").addEventListener("click", () => shift(7));
window.addEventListener("popstate", () => refresh());

function copyWithSelection() {
  // The fallback for browsers without the asynchronous clipboard (or without permission to use it).
  fallback.hidden = false;
  markdownBox.focus();
  markdownBox.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  return copied;
}

copyButton.addEventListener("click", async () => {
  let copied = false;
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(markdown);
      copied = true;
    } catch (error) {
      console.warn(error);
    }
  }
  if (!copied) copied = copyWithSelection();
  copyButton.dataset.copied = copied ? "clipboard" : "manual";
  toast(copied ? "The review's Markdown is on the clipboard." : "Select the Markdown below and copy it.");
});
