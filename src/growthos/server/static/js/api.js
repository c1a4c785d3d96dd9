// Same-origin JSON requests: the session cookie goes along; unsafe requests carry the CSRF token.

export class ApiError extends Error {}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

function apiUrl(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params ?? {})) {
    for (const item of [].concat(value)) { // a list is a repeated parameter
      if (item !== undefined && item !== null && item !== "") url.searchParams.append(key, item);
    }
  }
  return url;
}

async function parse(response, path) {
  if (response.status === 401) {
    window.location.assign("/login");
    throw new ApiError("Your session has ended: log in again.");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // not a problem+json body: keep the status text
    }
    throw new ApiError(`${path}: ${detail} (HTTP ${response.status})`);
  }
  return response.json();
}

export async function getJSON(path, params) {
  const response = await fetch(apiUrl(path, params), {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  return parse(response, path);
}

export async function postJSON(path, body) {
  const response = await fetch(apiUrl(path), {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    credentials: "same-origin",
    body: JSON.stringify(body ?? {}),
  });
  return parse(response, path);
}

let cataloguePromise = null;

/** name -> {name, label, formula, unit, polarity, format, decimals}, fetched once per page. */
export function catalogue() {
  cataloguePromise ??= getJSON("/api/catalogue").then(
    (data) => new Map(data.metrics.map((metric) => [metric.name, metric])),
  );
  cataloguePromise.catch(() => { cataloguePromise = null; });
  return cataloguePromise;
}
