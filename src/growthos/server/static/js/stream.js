// Server-sent events from /api/stream: the page refetches its data when a build finishes.

export function subscribe(handlers) {
  if (!("EventSource" in window)) return null;
  const source = new EventSource("/api/stream");
  source.addEventListener("open", () => { document.body.dataset.stream = "open"; });
  source.addEventListener("error", () => { document.body.dataset.stream = "reconnecting"; });
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (message) => {
      let data = {};
      try {
        data = JSON.parse(message.data || "{}");
      } catch {
        // keep the empty payload
      }
      handler(data);
    });
  }
  window.addEventListener("pagehide", () => source.close());
  return source;
}
