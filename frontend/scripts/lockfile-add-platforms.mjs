// Run after `npm install` changes package-lock.json (`node scripts/lockfile-add-platforms.mjs`).
//
// Why: the npm registry mirror this project is developed against serves some platform-only
// optional packages (e.g. @next/swc-darwin-arm64) as "not found", so npm leaves them out of
// the lockfile, and `npm ci` then refuses the lockfile as out of sync. This adds the missing
// entries with the os/cpu/libc their names encode; npm ci skips them on other platforms
// (never fetching them) and installs them from the registry where they match.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const OS = ["darwin", "win32", "linux", "android", "freebsd", "openharmony", "netbsd", "openbsd", "sunos", "aix", "wasm32"];
const CPU = ["arm64", "x64", "ia32", "arm", "ppc64", "riscv64", "s390x", "loong64", "mips64el", "wasm32"];

/** {os, cpu, libc} from a name like "@next/swc-linux-x64-musl" or "x-win32-arm64-msvc". */
export function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  let os = parts.find((p) => OS.includes(p) || p === "linuxmusl");
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  let libc;
  if (os === "linuxmusl" || parts.some((p) => p.startsWith("musl"))) libc = "musl";
  else if (os === "linux" && parts.some((p) => p.startsWith("gnu"))) libc = "glibc";
  if (os === "linuxmusl") os = "linux";
  return { os, cpu, libc };
}

/** Where npm resolves `name` from the package at `parentPath` (walking up node_modules). */
export function resolves(pkgs, parentPath, name) {
  let dir = parentPath;
  for (;;) {
    if (pkgs[`${dir ? dir + "/" : ""}node_modules/${name}`]) return true;
    if (!dir) return false;
    const i = dir.lastIndexOf("node_modules/");
    dir = i <= 0 ? "" : dir.slice(0, i - 1);
  }
}

/** The platform-only optional packages (exact versions) the lockfile has no entry for. */
export function missingPlatformPackages(pkgs) {
  const missing = [];
  for (const [path, entry] of Object.entries(pkgs)) {
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      if (resolves(pkgs, path, name) || !/^\d+\.\d+\.\d+$/.test(spec) || !platformOf(name)) continue;
      missing.push({ path, entry, name, spec });
    }
  }
  return missing;
}

function main() {
  const LOCK = "package-lock.json";
  const lock = JSON.parse(readFileSync(LOCK, "utf8"));
  const pkgs = lock.packages;
  let added = 0;
  for (const { path, entry, name, spec } of missingPlatformPackages(pkgs)) {
    if (resolves(pkgs, path, name)) continue; // added for an earlier parent
    const platform = platformOf(name);
    const at = pkgs[`node_modules/${name}`] ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    pkgs[at] = {
      version: spec,
      cpu: [platform.cpu],
      ...(entry.dev ? { dev: true } : {}),
      ...(platform.libc ? { libc: [platform.libc] } : {}),
      optional: true,
      os: [platform.os],
    };
    added++;
  }
  // npm keeps packages sorted by path; keep the diff small and the file stable.
  lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
  writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
  console.log(`package-lock.json: added ${added} platform-only optional package entries`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
