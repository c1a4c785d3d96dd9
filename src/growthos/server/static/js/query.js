// Page options kept in the URL beside the date range, so a reload, the back button or a shared link asks the
// same question again; and the event names that the option inputs suggest.

import { getJSON } from "./api.js";

export function queryParams() {
  return new URLSearchParams(window.location.search);
}

/** Replace the given keys in the URL (a list gives a repeated parameter; empty values are left out). */
export function writeQuery(values) {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(values)) {
    url.searchParams.delete(key);
    for (const item of [].concat(value ?? [])) {
      if (item !== "" && item !== null && item !== undefined) url.searchParams.append(key, item);
    }
  }
  history.pushState(null, "", url);
}

let namesPromise = null;

/** Track event names of the last 30 days, most frequent first (for suggestions and defaults). */
export function eventNames() {
  namesPromise ??= getJSON("/api/analytics/events", { range: "30d" }).then((data) => data.events.map((e) => e.event));
  namesPromise.catch(() => { namesPromise = null; });
  return namesPromise;
}

/** Fill a <datalist> with the event names. */
export async function suggestEvents(datalist) {
  const names = await eventNames();
  datalist.replaceChildren(...names.map((name) => new Option(name, name)));
  return names;
}

/** Re-run `refresh` when the options form is submitted (after `write` put its values in the URL). */
export function bindOptions(form, write, refresh) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    write();
    refresh();
  });
}
