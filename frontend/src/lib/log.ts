// Server-side only: the frontend's log lines. LOG_FORMAT=json writes one JSON object per line
// (what the chart sets, for log collectors); anything else keeps a plain line for people.
// A tiny JSON.stringify writer rather than pino: pino's fast path hands lines to worker
// threads (thread-stream), which the standalone trace and Next's bundler handle poorly, and
// a synchronous write per request is all this proxy needs.

export type Level = "info" | "warn" | "error";

export type Fields = Record<string, string | number | boolean | null | undefined>;

export function logFormat(): "json" | "text" {
  return (process.env.LOG_FORMAT ?? "").trim().toLowerCase() === "json" ? "json" : "text";
}

/** One log line as written: JSON in json mode, "LEVEL logger: message k=v ..." otherwise. */
export function formatLine(level: Level, logger: string, message: string, fields: Fields = {}, now = new Date()): string {
  if (logFormat() === "json") {
    return JSON.stringify({ time: now.toISOString(), level, logger, message, ...fields });
  }
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `${level.toUpperCase()} ${logger}: ${message}${extra ? " " + extra : ""}`;
}

export function log(level: Level, logger: string, message: string, fields: Fields = {}): void {
  const line = formatLine(level, logger, message, fields) + "\n";
  // Synchronous-enough and unbuffered by us: stdout/stderr writes keep their order per stream.
  (level === "info" ? process.stdout : process.stderr).write(line);
}
