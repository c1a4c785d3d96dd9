// Number formatting by the catalogue's unit; mirrors growthos.metrics.format (round half to even).

const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", CAD: "CA$", AUD: "A$", JPY: "¥" };
const cache = new Map();

export const currency = document.body.dataset.currency || "USD";
const symbol = SYMBOLS[currency] ?? `${currency} `;

function fixed(value, decimals, grouping = true) {
  const key = `${decimals}:${grouping}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
      useGrouping: grouping,
      roundingMode: "halfEven",
    });
    cache.set(key, format);
  }
  return format.format(value);
}

const sign = (value) => (value < 0 ? "-" : "");

export function formatMoney(value, decimals = 2) {
  if (value === null || value === undefined) return "—";
  return `${sign(value)}${symbol}${fixed(Math.abs(value), decimals)}`;
}

/** A metric's value as the API, CLI and reports show it. */
export function formatValue(metric, value) {
  if (value === null || value === undefined) return "—";
  switch (metric.unit) {
    case "currency":
      return formatMoney(value);
    case "ratio":
      return `${sign(value * 100)}${fixed(Math.abs(value * 100), Math.max(metric.decimals - 2, 1), false)}%`;
    case "multiple":
      return `${sign(value)}${fixed(Math.abs(value), 2, false)}×`;
    case "days":
      return `${sign(value)}${fixed(Math.abs(value), 0)} d`;
    default:
      return `${sign(value)}${fixed(Math.abs(value), metric.decimals)}`;
  }
}

/** A relative change as "+3.2%"; "—" when there is none. */
export function formatChange(changePct) {
  if (changePct === null || changePct === undefined) return "—";
  const pct = changePct * 100;
  return `${pct < 0 ? "-" : "+"}${fixed(Math.abs(pct), 1, false)}%`;
}

export function formatPercent(value, decimals = 1) {
  if (value === null || value === undefined) return "—";
  return `${sign(value)}${fixed(Math.abs(value * 100), decimals, false)}%`;
}

export function formatCount(value) {
  if (value === null || value === undefined) return "—";
  return `${sign(value)}${fixed(Math.abs(value), 0)}`;
}

/** Short axis labels: $12.3k, $1.2M. */
export function formatCompactMoney(value) {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${sign(value)}${symbol}${fixed(abs / 1e6, 1)}M`;
  if (abs >= 1e4) return `${sign(value)}${symbol}${fixed(abs / 1e3, 0)}k`;
  if (abs >= 1e3) return `${sign(value)}${symbol}${fixed(abs / 1e3, 1)}k`;
  return `${sign(value)}${symbol}${fixed(abs, 0)}`;
}

/** Whether a change is good, bad or neither, by the metric's polarity. */
export function trend(metric, change) {
  if (change === null || change === undefined || change === 0) return "none";
  if (metric.polarity === "neutral") return "neutral";
  const rising = change > 0;
  return rising === (metric.polarity === "up") ? "good" : "bad";
}

const dayFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const monthFormat = new Intl.DateTimeFormat("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
const dateFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", year: "numeric",
  timeZone: "UTC" });

/** "Jan 5" for an ISO day. */
export const formatDay = (iso) => dayFormat.format(new Date(`${iso}T00:00:00Z`));
/** "Jan 2026" for an ISO month start. */
export const formatMonth = (iso) => monthFormat.format(new Date(`${iso}T00:00:00Z`));
/** "Jan 5, 2026" for an ISO day. */
export const formatDate = (iso) => dateFormat.format(new Date(`${iso}T00:00:00Z`));

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${fixed(seconds, seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return `${minutes} min ${String(rest).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

const timestampFormat = new Intl.DateTimeFormat("en-US", {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  hour12: false,
});

export const formatTimestamp = (iso) => (iso ? timestampFormat.format(new Date(iso)) : "—");
