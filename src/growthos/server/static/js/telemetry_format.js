// What the Performance pages share: durations, dollars and time buckets as they show them, and their cards.

import { formatDay } from "./format.js";

const formats = new Map();

/** A number with exactly `decimals` decimals (round half to even), thousands grouped. */
export function fixed(value, decimals) {
  if (!formats.has(decimals)) {
    formats.set(decimals, new Intl.NumberFormat("en-US", { minimumFractionDigits: decimals,
      maximumFractionDigits: decimals, roundingMode: "halfEven" }));
  }
  return formats.get(decimals).format(value);
}

export const missing = (value) => value === null || value === undefined;

/** Milliseconds: two decimals under 10 ms (cache hits), whole ones up to 10 s, seconds above. */
export const formatMs = (value) => {
  if (missing(value)) return "—";
  if (value >= 10_000) return `${fixed(value / 1000, 1)} s`;
  return `${fixed(value, value < 10 ? 2 : 0)} ms`;
};

/** US dollars (AI price tables are in USD, whatever the workspace's currency): four decimals under $1. */
export const formatUsd = (value) => (missing(value) ? "—" : `$${fixed(value, Math.abs(value) < 1 ? 4 : 2)}`);

/** Hours as "05:00 UTC", with the day on the first one and at midnight; days as "Feb 9". */
export function bucketLabel(bucket, unit, index = 0) {
  if (unit !== "hour") return formatDay(bucket);
  const [day, time] = bucket.split("T");
  const hour = `${time.slice(0, 5)} UTC`;
  return index === 0 || hour.startsWith("00:") ? `${formatDay(day)} ${hour}` : hour;
}

/** Fill the card [data-card=name]: its shown value, the raw value (data-raw, for tests and tooltips), a detail. */
export function setCard(name, value, raw, detail) {
  const card = document.querySelector(`[data-card="${name}"]`);
  const valueElement = card.querySelector('[data-role="value"]');
  valueElement.textContent = value;
  valueElement.dataset.raw = JSON.stringify(raw);
  card.querySelector('[data-role="detail"]').textContent = detail;
}
