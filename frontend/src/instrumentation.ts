// Next.js calls register() once when a server process starts (next start, next dev and the
// standalone server.js alike; never during next build). The metrics listener needs Node's
// http module, so it is loaded only in the Node.js runtime, not the edge one.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { metricsPort, startMetricsServer } = await import("./lib/metrics-server");
  const { log } = await import("./lib/log");
  // A bad METRICS_PORT stops the start with an error naming it: a typo should not pass unseen.
  const port = metricsPort();
  try {
    await startMetricsServer(port);
  } catch (err) {
    // A port already taken must not take the app down: say so and serve without metrics.
    log("error", "frontend.metrics", `metrics are off: ${err instanceof Error ? err.message : String(err)}`);
  }
}
