// The committed lockfile must stay installable with `npm ci` (see
// scripts/lockfile-add-platforms.mjs) and keep Next.js on the 15.x line that runs on Node 18.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { missingPlatformPackages, platformOf } from "../../scripts/lockfile-add-platforms.mjs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const pkg = JSON.parse(readFileSync("package.json", "utf8"));

describe("package-lock.json", () => {
  it("has an entry for every platform-only optional package (or npm ci refuses it)", () => {
    const missing = missingPlatformPackages(lock.packages).map((m: { name: string }) => m.name);
    expect(missing, "run: node scripts/lockfile-add-platforms.mjs").toEqual([]);
  });

  it("matches package.json", () => {
    expect(lock.packages[""].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[""].devDependencies).toEqual(pkg.devDependencies);
  });

  it("pins Next.js 15 exactly (16 needs Node 20; the image is node:18-alpine)", () => {
    expect(pkg.dependencies.next).toMatch(/^15\.\d+\.\d+$/);
    expect(lock.packages["node_modules/next"].version).toBe(pkg.dependencies.next);
  });
});

describe("platformOf", () => {
  it.each([
    ["@next/swc-darwin-arm64", { os: "darwin", cpu: "arm64", libc: undefined }],
    ["@next/swc-win32-x64-msvc", { os: "win32", cpu: "x64", libc: undefined }],
    ["@next/swc-linux-x64-musl", { os: "linux", cpu: "x64", libc: "musl" }],
    ["@unrs/resolver-binding-linux-arm-gnueabihf", { os: "linux", cpu: "arm", libc: "glibc" }],
    ["@img/sharp-linuxmusl-arm64", { os: "linux", cpu: "arm64", libc: "musl" }],
    ["fsevents", null],
  ])("%s", (name, want) => {
    expect(platformOf(name)).toEqual(want);
  });
});
