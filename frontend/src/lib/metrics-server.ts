// Server-side only: GET /metrics on its own port (METRICS_PORT, default 9090; 0 = off), apart
// from the app port, so the Service users reach never exposes metrics. Started once per server
// process from src/instrumentation.ts.
import { createServer, type Server } from "node:http";
import { log } from "./log";
import { metrics } from "./metrics";

export const DEFAULT_METRICS_PORT = 9090;

/** METRICS_PORT as a port number (0 = off); a bad value is an error naming the variable. */
export function metricsPort(raw = process.env.METRICS_PORT): number {
  const text = (raw ?? "").trim();
  if (text === "") return DEFAULT_METRICS_PORT;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new Error(`METRICS_PORT must be a port number 1-65535, or 0 to turn metrics off; got "${text.slice(0, 20)}".`);
  }
  return Number(text);
}

const KEY = Symbol.for("todo-chatbot.frontend.metrics-server");
type WithServer = typeof globalThis & { [KEY]?: Promise<Server | null> };

/** Starts the listener unless this process already has one (next dev may register twice). */
export function startMetricsServer(port = metricsPort(), host = process.env.LISTEN_HOSTNAME || "0.0.0.0"): Promise<Server | null> {
  const g = globalThis as WithServer;
  return (g[KEY] ??= listen(port, host));
}

async function listen(port: number, host: string): Promise<Server | null> {
  if (port === 0) return null;
  const { registry } = metrics();
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("Only GET /metrics is served on this port.\n");
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => {
        log("error", "frontend.metrics", `collecting metrics failed: ${String(err)}`);
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("collecting metrics failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // The app's own server keeps the process alive; this one must not hold it open at exit.
  server.unref();
  log("info", "frontend.metrics", `metrics on http://${host}:${port}/metrics`);
  return server;
}

/**
 * The instrumentation hook's entry: a bad METRICS_PORT stops the start with an error naming it
 * (a typo should not pass unseen); a port already taken is logged and the app serves on.
 */
export async function startFromEnv(): Promise<void> {
  const port = metricsPort();
  try {
    await startMetricsServer(port);
  } catch (err) {
    log("error", "frontend.metrics", `metrics are off: ${err instanceof Error ? err.message : String(err)}`);
  }
}
