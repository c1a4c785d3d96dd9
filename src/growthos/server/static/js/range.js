// The date range lives in the URL (?range=7d or ?from=…&to=…) so a reload or a shared link keeps it.

const RANGE_KEYS = ["range", "from", "to"];

/** The range the URL names: {range} or {from, to}; {} for the page's default. */
export function currentRange() {
  const params = new URLSearchParams(window.location.search);
  const range = params.get("range");
  if (range) return { range };
  const from = params.get("from");
  const to = params.get("to");
  return from && to ? { from, to } : {};
}

/** The API's query parameters for a range; 'all' is no range at all. */
export function rangeParams(range, fallback = "30d") {
  if (range.range === "all") return {};
  if (range.range) return { range: range.range };
  if (range.from && range.to) return { from: range.from, to: range.to };
  return fallback ? { range: fallback } : {};
}

function rangeQuery() {
  const params = new URLSearchParams(window.location.search);
  const kept = new URLSearchParams();
  for (const key of RANGE_KEYS) if (params.get(key)) kept.set(key, params.get(key));
  const text = kept.toString();
  return text ? `?${text}` : "";
}

/** Links to other pages carry the range along. */
export function updateRangeLinks() {
  const query = rangeQuery();
  for (const link of document.querySelectorAll("a[data-keeps-range]")) {
    const url = new URL(link.href, window.location.origin);
    link.href = `${url.pathname}${query}`;
  }
}

function writeUrl(range) {
  const url = new URL(window.location.href);
  for (const key of RANGE_KEYS) url.searchParams.delete(key);
  for (const [key, value] of Object.entries(range)) url.searchParams.set(key, value);
  history.pushState(null, "", url);
  updateRangeLinks();
}

function showSelection(form, range, defaultPreset) {
  const selected = range.range ?? (range.from ? "custom" : defaultPreset);
  for (const button of form.querySelectorAll("button[name=range]")) {
    button.setAttribute("aria-pressed", String(button.value === selected));
  }
  form.querySelector(".custom-range")?.classList.toggle("is-active", selected === "custom");
}

/** Fill the custom inputs with the dates the API resolved the range to. */
export function showResolvedRange(from, to) {
  const fromInput = document.getElementById("range-from");
  const toInput = document.getElementById("range-to");
  if (fromInput && from) fromInput.value = from;
  if (toInput && to) toInput.value = to;
}

/** Wire the picker: presets and custom dates update the URL and call onChange; so do back and forward. */
export function bindRangePicker(onChange) {
  const form = document.getElementById("range-picker");
  if (!form) return;
  const defaultPreset = form.querySelector("button[name=range][value=all]") ? "all" : "30d";
  const fromInput = form.querySelector("#range-from");
  const toInput = form.querySelector("#range-to");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter;
    let range;
    if (button?.name === "range") {
      range = { range: button.value };
    } else {
      if (!fromInput.value || !toInput.value) {
        (fromInput.value ? toInput : fromInput).reportValidity?.();
        return;
      }
      if (fromInput.value > toInput.value) {
        toInput.setCustomValidity("'To' must not be before 'From'.");
        toInput.reportValidity();
        return;
      }
      range = { from: fromInput.value, to: toInput.value };
    }
    writeUrl(range);
    showSelection(form, range, defaultPreset);
    onChange(range);
  });
  toInput?.addEventListener("input", () => toInput.setCustomValidity(""));
  fromInput?.addEventListener("input", () => toInput.setCustomValidity(""));
  window.addEventListener("popstate", () => {
    const range = currentRange();
    showSelection(form, range, defaultPreset);
    updateRangeLinks();
    onChange(range);
  });
}
