// `npm start`: runs the standalone Next.js server on 0.0.0.0:3000 (PORT/HOSTNAME override).
// Works in both layouts: the image's /app (server.js next to this scripts/ folder) and a
// local checkout after `npm run build` (.next/standalone/server.js).
import { existsSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { installJsonConsole } from "./json-console.mjs";
import { guardRequests } from "./request-guard.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const server = [join(root, "server.js"), join(root, ".next/standalone/server.js")].find((p) => existsSync(p));
if (!server) {
  console.error("No standalone server found: run `npm run build` first.");
  process.exit(1);
}
if ((process.env.LOG_FORMAT ?? "").trim().toLowerCase() === "json") installJsonConsole();
// Next's standalone server reads HOSTNAME, which shells set to the machine name; listen on
// all interfaces unless told otherwise (a container must accept traffic from its pod IP).
process.env.HOSTNAME = process.env.LISTEN_HOSTNAME || "0.0.0.0";
process.env.PORT ||= "3000";
process.env.NODE_ENV = "production";
// Every request passes the guard first (scripts/request-guard.mjs says why). The
// standalone server creates its one HTTP server with http.createServer(listener).
const createServer = http.createServer;
http.createServer = (...args) => {
  const i = args.findIndex((a) => typeof a === "function");
  if (i >= 0) args[i] = guardRequests(args[i]);
  return createServer.apply(http, args);
};
await import(pathToFileURL(server).href);
