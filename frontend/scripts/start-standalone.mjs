// `npm start`: runs the standalone Next.js server on 0.0.0.0:3000 (PORT/HOSTNAME override).
// Works in both layouts: the image's /app (server.js next to this scripts/ folder) and a
// local checkout after `npm run build` (.next/standalone/server.js).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const server = [join(root, "server.js"), join(root, ".next/standalone/server.js")].find((p) => existsSync(p));
if (!server) {
  console.error("No standalone server found: run `npm run build` first.");
  process.exit(1);
}
// Next's standalone server reads HOSTNAME, which shells set to the machine name; listen on
// all interfaces unless told otherwise (a container must accept traffic from its pod IP).
process.env.HOSTNAME = process.env.LISTEN_HOSTNAME || "0.0.0.0";
process.env.PORT ||= "3000";
process.env.NODE_ENV = "production";
await import(pathToFileURL(server).href);
