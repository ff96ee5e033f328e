// After `next build`: copy the static assets and public/ into .next/standalone, so that
// directory is the complete, self-contained server (exactly what the image ships in /app).
import { cpSync, existsSync, rmSync } from "node:fs";

const out = ".next/standalone";
if (!existsSync(`${out}/server.js`)) {
  console.error(`${out}/server.js is missing: is output: "standalone" set in next.config.mjs?`);
  process.exit(1);
}
for (const [from, to] of [
  [".next/static", `${out}/.next/static`],
  ["public", `${out}/public`],
]) {
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
// `npm start` in the standalone directory runs this script too.
for (const script of ["start-standalone.mjs", "request-guard.mjs", "json-console.mjs"]) {
  cpSync(`scripts/${script}`, `${out}/scripts/${script}`);
}
