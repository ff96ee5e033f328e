// Next.js calls register() once when a server process starts (next start, next dev and the
// standalone server.js alike; never during next build). The metrics listener needs Node's
// http module: the import sits inside the NEXT_RUNTIME check, which Next replaces at compile
// time, so the edge build of this file drops it (an early return would not).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startFromEnv } = await import("./lib/metrics-server");
    await startFromEnv();
  }
}
