// Server-side only: the frontend's Prometheus metrics (prom-client). They live in prom-client's
// global registry, and the metric objects are kept on globalThis: `next dev` may evaluate this
// module again (hot reload, separate bundles), and registering a name twice would throw.
import client from "prom-client";

export interface FrontendMetrics {
  registry: client.Registry;
  proxyRequests: client.Counter<"route" | "status">;
  upstreamDuration: client.Histogram<"route">;
  upstreamRetries: client.Counter<"route">;
}

const KEY = Symbol.for("todo-chatbot.frontend.metrics");
type WithMetrics = typeof globalThis & { [KEY]?: FrontendMetrics };

function create(): FrontendMetrics {
  const registry = client.register;
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    proxyRequests: new client.Counter({
      name: "todo_frontend_proxy_requests_total",
      help: "Requests answered by the /api route handlers, by route template and HTTP status.",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
    upstreamDuration: new client.Histogram({
      name: "todo_frontend_upstream_duration_seconds",
      help: "Time from sending a request to the backend to its answer (or failure), by route template.",
      labelNames: ["route"],
      // Up to the chat timeout (75 s): a Gemini turn can take tens of seconds.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 75],
      registers: [registry],
    }),
    upstreamRetries: new client.Counter({
      name: "todo_frontend_upstream_retries_total",
      help: "Backend requests sent a second time after a refused or reset connection, by route template.",
      labelNames: ["route"],
      registers: [registry],
    }),
  };
}

export function metrics(): FrontendMetrics {
  const g = globalThis as WithMetrics;
  return (g[KEY] ??= create());
}
