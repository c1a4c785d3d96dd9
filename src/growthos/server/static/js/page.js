// What every dashboard page shares: load data for the URL's range, show when it was updated, report errors,
// and refetch when the range changes or a build finishes.

import { formatDay } from "./format.js";
import { bindRangePicker, currentRange, updateRangeLinks } from "./range.js";
import { subscribe } from "./stream.js";

const timeFormat = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", second: "2-digit",
  hour12: false });

function showAlert(message) {
  const alert = document.getElementById("alert");
  alert.textContent = message;
  alert.hidden = !message;
}

export function toast(message) {
  const element = document.createElement("div");
  element.className = "toast";
  element.setAttribute("role", "status");
  element.textContent = message;
  document.body.append(element);
  setTimeout(() => element.remove(), 4000);
}

function markUpdated() {
  const updated = document.getElementById("updated");
  const now = new Date();
  updated.dataset.updated = now.toISOString();
  updated.dataset.refreshes = String(Number(updated.dataset.refreshes || 0) + 1);
  updated.textContent = `Updated ${timeFormat.format(now)}`;
}

/** What every page says when the server pushes news, whatever the page shows. */
const NEWS = {
  build_failed: (data) => toast(`A build failed: ${data.error ?? "see Jobs"}`),
  anomaly_detected: (a) => toast(`Anomaly: ${a.label || a.metric} on ${formatDay(a.day)} `
    + `(${a.direction === "up" ? "above" : "below"} expected, score ${a.score})`),
  alert_fired: (alert) => toast(`New ${alert.severity ?? ""} alert: ${alert.message ?? alert.rule}`),
};

/**
 * Start a page: `load(range)` fetches everything the page shows and resolves to its data; `render(data)` draws
 * it. A newer load supersedes an older one still in flight, so a slow answer never overwrites a newer range.
 * One server-sent-event stream per page: builds refresh the page, anomalies and new alerts show a toast, and
 * `on` adds the page's own handlers (run after those), e.g. `{ alert_resolved: () => refresh() }`.
 */
export function startPage({ load, render, on = {} }) {
  let generation = 0;
  async function refresh() {
    const mine = ++generation;
    document.body.dataset.state = "loading";
    try {
      const data = await load(currentRange());
      if (mine !== generation) return;
      render(data);
      markUpdated();
      showAlert("");
      document.body.dataset.state = "ready";
    } catch (error) {
      if (mine !== generation) return;
      console.warn(error);
      showAlert(`Could not load the data: ${error.message}`);
      document.body.dataset.state = "error";
    }
  }
  updateRangeLinks();
  bindRangePicker(refresh);
  const common = {
    ...NEWS,
    build_finished: () => {
      toast("A build finished: the data was refreshed.");
      refresh();
    },
    sync_finished: () => {
      if (document.body.dataset.page === "jobs") refresh();  // other pages change with the next build
    },
  };
  const handlers = {};
  for (const event of new Set([...Object.keys(common), ...Object.keys(on)])) {
    handlers[event] = (data) => {
      common[event]?.(data);
      on[event]?.(data);
    };
  }
  subscribe(handlers);
  refresh();
  return refresh;
}
