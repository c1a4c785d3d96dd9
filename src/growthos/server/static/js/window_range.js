// The telemetry pages' time window (24h, 7d or 30d), kept in the URL as ?window=… (not ?range=, which the
// commerce pages' date range owns and the sidebar links carry along).

const WINDOWS = ["24h", "7d", "30d"];

/** The window in the URL, else the default. */
export function currentWindow(fallback = "24h") {
  const value = new URLSearchParams(window.location.search).get("window");
  return WINDOWS.includes(value) ? value : fallback;
}

/** Show the URL's window in `select` and call `onChange` after the user picks another (URL updated). */
export function bindWindowSelect(select, onChange) {
  select.value = currentWindow();
  select.addEventListener("change", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("window", select.value);
    window.history.replaceState(null, "", url);
    onChange();
  });
}
