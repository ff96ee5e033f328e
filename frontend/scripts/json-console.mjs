// With LOG_FORMAT=json every line the server prints must be one JSON object, including what
// Next.js itself prints through console.* ("▲ Next.js ...", "✓ Ready in ...", warnings).
// start-standalone.mjs installs this before loading the server; the app's own lines
// (src/lib/log.ts) write to stdout directly and already have this shape.
import { format } from "node:util";

// Next colours its lines for terminals; a log collector wants the text.
const ANSI = /\u001b\[[0-9;]*m/g;

const LEVELS = { log: "info", info: "info", debug: "info", warn: "warn", error: "error" };

export function jsonConsoleLine(level, args, now = new Date()) {
  const message = format(...args).replace(ANSI, "").trim();
  return JSON.stringify({ time: now.toISOString(), level, logger: "next", message });
}

export function installJsonConsole() {
  for (const [method, level] of Object.entries(LEVELS)) {
    const stream = level === "info" ? process.stdout : process.stderr;
    console[method] = (...args) => {
      // Next prints blank lines as spacing for terminals: nothing to record.
      if (format(...args).replace(ANSI, "").trim() === "") return;
      stream.write(jsonConsoleLine(level, args) + "\n");
    };
  }
}
