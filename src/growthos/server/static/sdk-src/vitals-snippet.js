// GrowthOS Core Web Vitals snippet: the source of /sdk/vitals.js after Google's web-vitals library.
//
// `make assets` wraps web-vitals' IIFE build (which defines `webVitals`) and this file in one function, so
// nothing but `window.__growthosVitals` reaches the page's globals. Embed it with one line:
//
//   <script src="https://<growthos host>/sdk/vitals.js" data-key="gos_ingest_..." defer></script>
//
// Settings, read from that <script> tag:
//   data-key       an ingest key (required: without it nothing is measured)
//   data-endpoint  where to post (default: the origin the script was loaded from)
//   data-route     a fixed route name for every report of this page (default: location.pathname)
// A page may instead define `window.growthosVitalsRoute = (location) => "/recipes/{id}"`; it is called at
// report time, so a single-page app names the route showing when each metric is reported.
//
// Each report becomes {name, value, rating, delta, metric_id, navigation_type, route, connection_type,
// session_id}; GrowthOS adds the user agent from the request. Records are posted as text/plain JSON (no CORS
// preflight) to /api/analytics/performance?key=..., in batches of 10 or 5 s after the first queued one; when
// the page is hidden or left they are flushed with navigator.sendBeacon (fetch with keepalive where a beacon
// is refused). Nothing here may break the page: every entry point swallows its errors.

/* global webVitals */
(function growthosVitals() {
  "use strict";

  const BATCH_SIZE = 10;
  const BATCH_DELAY_MS = 5000;
  const MAX_QUEUE = 100;
  const ROUTE_MAX = 512;
  const SESSION_KEY = "growthos_vitals_session";
  const PATH = "/api/analytics/performance";
  const FID_THRESHOLDS = [100, 300];

  function ownScript() {
    const current = document.currentScript;
    if (current && current.src) return current;
    const scripts = document.querySelectorAll("script[src][data-key]");
    for (const script of scripts) {
      if (/\/sdk\/vitals\.js(\?|#|$)/.test(script.src)) return script;
    }
    return null;
  }

  function randomId() {
    try {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    } catch (_error) {
      return `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
    }
  }

  function sessionId() {
    try {
      let id = sessionStorage.getItem(SESSION_KEY);
      if (!id) {
        id = randomId();
        sessionStorage.setItem(SESSION_KEY, id);
      }
      return id;
    } catch (_error) { // storage disabled or sandboxed: one id for this page view
      return randomId();
    }
  }

  function routeOf(fixed) {
    let route = fixed;
    if (!route && typeof window.growthosVitalsRoute === "function") {
      try {
        route = window.growthosVitalsRoute(window.location);
      } catch (_error) {
        route = null;
      }
    }
    route = typeof route === "string" && route ? route : window.location.pathname || "/";
    return route.slice(0, ROUTE_MAX);
  }

  function connectionType() {
    const connection = navigator.connection;
    return connection && typeof connection.effectiveType === "string" ? connection.effectiveType : null;
  }

  function navigationType() {
    try {
      const entry = performance.getEntriesByType("navigation")[0];
      return entry ? entry.type.replace(/_/g, "-") : null;
    } catch (_error) {
      return null;
    }
  }

  function start() {
    if (window.__growthosVitals) return; // embedded twice: measure once
    const script = ownScript();
    const key = script && script.dataset.key;
    if (!key) {
      console.warn("GrowthOS vitals: the <script> tag needs data-key=\"gos_ingest_...\"; nothing is measured.");
      return;
    }
    if (typeof webVitals === "undefined") return;
    window.__growthosVitals = true;

    const endpoint = (script.dataset.endpoint || new URL(script.src, window.location.href).origin).replace(/\/+$/, "");
    const url = `${endpoint}${PATH}?key=${encodeURIComponent(key)}`;
    const fixedRoute = script.dataset.route || null;
    const session = sessionId();
    let queue = [];
    let timer = null;

    function post(records, beacon) {
      const body = JSON.stringify(records);
      try {
        if (beacon && navigator.sendBeacon
            && navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }))) return;
      } catch (_error) {
        // a refused beacon (too large, or none in this browser): fall through to fetch
      }
      try {
        fetch(url, { method: "POST", body, keepalive: true, credentials: "omit",
          headers: { "Content-Type": "text/plain" } }).catch(() => {});
      } catch (_error) {
        // no fetch either: drop this batch rather than disturb the page
      }
    }

    function flush(beacon) {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      if (queue.length === 0) return;
      const records = queue;
      queue = [];
      post(records, beacon);
    }

    function enqueue(record) {
      if (queue.length >= MAX_QUEUE) return;
      queue.push(record);
      if (queue.length >= BATCH_SIZE) flush(false);
      else if (timer === null) timer = setTimeout(() => flush(false), BATCH_DELAY_MS);
    }

    function record(metric) {
      try {
        enqueue({
          name: metric.name,
          value: metric.value,
          rating: metric.rating || null,
          delta: metric.delta,
          metric_id: metric.id || null,
          navigation_type: metric.navigationType || null,
          route: routeOf(fixedRoute),
          connection_type: connectionType(),
          session_id: session,
        });
      } catch (_error) {
        // a malformed metric is not worth an error in the page
      }
    }

    function observeFirstInput() {
      // web-vitals 5 dropped FID; measure it from the first-input entry where the browser still has one.
      const supported = typeof PerformanceObserver !== "undefined"
        && (PerformanceObserver.supportedEntryTypes || []).includes("first-input");
      if (!supported) return;
      let hiddenAt = document.visibilityState === "hidden" ? 0 : Infinity;
      addEventListener("visibilitychange", (event) => {
        if (document.visibilityState === "hidden" && hiddenAt === Infinity) hiddenAt = event.timeStamp;
      }, true);
      const observer = new PerformanceObserver((list) => {
        const entry = list.getEntries()[0];
        if (!entry || entry.startTime > hiddenAt) return; // an input after the page was hidden is no FID
        observer.disconnect();
        const value = Math.max(entry.processingStart - entry.startTime, 0);
        let rating = "good";
        if (value > FID_THRESHOLDS[1]) rating = "poor";
        else if (value > FID_THRESHOLDS[0]) rating = "needs-improvement";
        record({ name: "FID", value, rating, delta: value, id: `gos-fid-${randomId().slice(0, 16)}`,
          navigationType: navigationType() });
      });
      observer.observe({ type: "first-input", buffered: true });
    }

    // Registered after web-vitals' own listeners (capture phase on window), and in the bubble phase, so the
    // metrics it reports on hiding (LCP, CLS, INP) are queued before the flush.
    function onHidden() {
      if (document.visibilityState === "hidden") flush(true);
    }

    const registrations = [webVitals.onLCP, webVitals.onINP, webVitals.onCLS, webVitals.onFCP, webVitals.onTTFB]
      .map((register) => () => register(record, { reportAllChanges: false }));
    registrations.push(typeof webVitals.onFID === "function" ? () => webVitals.onFID(record) : observeFirstInput);
    for (const register of registrations) safely(register); // one metric a browser lacks must not stop the rest
    addEventListener("visibilitychange", onHidden);
    addEventListener("pagehide", () => flush(true));
  }

  function safely(run) {
    try {
      run();
    } catch (_error) {
      // never throw into the page
    }
  }

  safely(start);
})();
