/// <reference types="vite/client" />
// The rules every /api/* route obeys (src/lib/api-route.ts), over real sockets to a stand-in
// backend: which methods a route answers, cross-site and non-JSON writes refused, bodies
// capped while streaming, strict UTF-8, and no internal address in any answer.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { type RouteHandlers } from "@/lib/api-route";
import { MAX_BODY_BYTES } from "@/lib/request-body";
import { REFUSED_METHOD_HEADER } from "../../scripts/request-guard.mjs";
import { closedPortUrl, fakeBackendForFile, json } from "../support/fakeBackend";
import { todo } from "../support/fixtures";

// Every route file, found on disk: a route added later is covered without editing this test.
const routeFiles: Record<string, RouteHandlers<unknown>> = import.meta.glob("../../src/app/api/**/route.ts", { eager: true });
const routes = Object.entries(routeFiles).map(([file, mod]) => {
  const path = file.replace("../../src/app", "").replace("/route.ts", "").replace("[id]", "7");
  return { file, path, mod };
});
const ctx = { params: Promise.resolve({ id: "7" }) };
const STATE_CHANGING = ["POST", "PUT", "PATCH", "DELETE"] as const;
const ALL = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"] as const;

const call = (mod: RouteHandlers<unknown>, method: (typeof ALL)[number], path: string, init: RequestInit = {}) =>
  mod[method](new Request(`http://app.test${path}`, { method, ...init }), ctx);

const backend = fakeBackendForFile();
beforeEach(() => {
  backend.handle((r, res) => (r.method === "DELETE" ? (res.writeHead(204), res.end()) : json(res, 200, todo())));
});

it("finds the route files", () => {
  expect(routes.map((r) => r.path).sort()).toEqual(
    expect.arrayContaining(["/api/assistant", "/api/chat", "/api/healthz", "/api/status", "/api/todos", "/api/todos/7"]),
  );
});

describe.each(routes)("$path", ({ mod, path }) => {
  // The tests below hold every route file to apiRoute's rules by what it answers, so no
  // marker in the production code is needed to prove a route is built with it.
  it("exports every method Next.js can call", () => {
    for (const m of ALL) expect(typeof mod[m], m).toBe("function");
  });

  it("OPTIONS and every 405 agree on Allow; a 405 is JSON naming the method", async () => {
    const options = await call(mod, "OPTIONS", path);
    expect(options.status).toBe(204);
    const allow = options.headers.get("allow")!;
    expect(allow.split(", ")).toContain("OPTIONS");
    for (const m of ALL) {
      if (m === "OPTIONS") continue;
      const res = await call(mod, m, path, { headers: { "Content-Type": "application/json" }, body: m === "GET" || m === "HEAD" ? undefined : "{}" });
      if (allow.split(", ").includes(m)) {
        expect(res.status, `${m} is in Allow`).not.toBe(405);
      } else {
        expect(res.status, `${m} is not in Allow`).toBe(405);
        expect(res.headers.get("allow")).toBe(allow);
        expect((await res.json()).detail).toBe(`Method ${m} is not allowed on ${path}; use ${allow}.`);
      }
    }
  });

  it("a method Next.js cannot dispatch (TRACE, PROPFIND) is a 405 with the same Allow", async () => {
    const allow = (await call(mod, "OPTIONS", path)).headers.get("allow");
    for (const m of ["TRACE", "PROPFIND"]) {
      const res = await call(mod, "OPTIONS", path, { headers: { [REFUSED_METHOD_HEADER]: m } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect((await res.json()).detail).toMatch(new RegExp(`^Method ${m} is not allowed`));
    }
  });

  const allows = async (m: string) => (await call(mod, "OPTIONS", path)).headers.get("allow")!.split(", ").includes(m);

  it.each(STATE_CHANGING)("%s from another site is refused (403, or 405 where not allowed) before the backend is asked", async (m) => {
    const want = (await allows(m)) ? 403 : 405;
    const foreign: Record<string, string>[] = [
      { "Sec-Fetch-Site": "same-site", Origin: "http://127.0.0.1:9" }, // another port on the same host
      { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
      { Origin: "https://evil.example" }, // a browser without Sec-Fetch-Site
      { Origin: "null" }, // a sandboxed frame
    ];
    for (const headers of foreign) {
      const res = await call(mod, m, path, { headers: { ...headers, "Content-Type": "application/json" }, body: "{}" });
      expect(res.status, JSON.stringify(headers)).toBe(want);
      if (want === 403) expect((await res.json()).detail).toMatch(/^Cross-site request refused/);
    }
    expect(backend.requests).toHaveLength(0);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null])(
    "a state-changing request with a %s body is refused with 415 (405 where not allowed)",
    async (type) => {
      const body = '{"message":"delete 2"}';
      for (const m of STATE_CHANGING) {
        // Content-Length as Node's server sets it (a Request built here has none).
        const headers: Record<string, string> = { "Sec-Fetch-Site": "same-origin", "Content-Length": String(body.length) };
        if (type) headers["Content-Type"] = type;
        const res = await call(mod, m, path, { headers, body });
        expect(res.status, m).toBe((await allows(m)) ? 415 : 405);
      }
      expect(backend.requests).toHaveLength(0);
    },
  );
});

describe("what passes", () => {
  const todos = routes.find((r) => r.path === "/api/todos")!.mod;
  const one = routes.find((r) => r.path === "/api/todos/7")!.mod;

  it("the app's own page (same-origin, JSON with a charset), curl (no browser headers) and a body-less DELETE", async () => {
    const ok: Record<string, string>[] = [
      { "Sec-Fetch-Site": "same-origin", Origin: "http://app.test", "Content-Type": "application/json; charset=utf-8" },
      { "Content-Type": "application/json" },
      { Origin: "http://app.test", "Content-Type": "application/json" },
    ];
    for (const headers of ok) {
      expect((await call(todos, "POST", "/api/todos", { headers, body: '{"title":"x"}' })).status, JSON.stringify(headers)).toBe(200);
    }
    expect((await call(one, "DELETE", "/api/todos/7", { headers: { "Sec-Fetch-Site": "same-origin" } })).status).toBe(204);
    expect(backend.requests.map((r) => r.method)).toEqual(["POST", "POST", "POST", "DELETE"]);
  });

  it("reads from another site (GET) are not refused: a no-cors page cannot read them", async () => {
    const res = await call(todos, "GET", "/api/todos", { headers: { "Sec-Fetch-Site": "cross-site" } });
    expect(res.status).toBe(200);
  });
});

describe("request bodies", () => {
  const chat = routes.find((r) => r.path === "/api/chat")!.mod;
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    call(chat, "POST", "/api/chat", { headers: { "Content-Type": "application/json", ...headers }, body, duplex: "half" } as RequestInit);

  it("stops reading an endless upload at the limit (413) instead of buffering it", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    const endless = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    const res = await post(endless);
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect((await res.json()).detail).toBe(`Request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
    expect(pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 4 * chunk.byteLength);
    expect(backend.requests).toHaveLength(0);
  });

  it("refuses a declared Content-Length over the limit without reading", async () => {
    const res = await post("{}", { "Content-Length": String(MAX_BODY_BYTES + 1) });
    expect(res.status).toBe(413);
  });

  it.each([
    ["a lone continuation byte", [0x80]],
    ["a truncated sequence", [0xe2, 0x82]],
    ["an overlong encoding", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
  ])("refuses %s in the body with 400, never forwarding U+FFFD", async (_name, bad) => {
    const bytes = new Uint8Array([...Buffer.from('{"message":"add '), ...bad, ...Buffer.from('"}')]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/not valid UTF-8/);
    expect(backend.requests).toHaveLength(0);
  });

  it("keeps valid non-ASCII text exactly", async () => {
    backend.handle((_r, res) => json(res, 200, { reply: "ok", conversation_id: "c", actions: [], mode: "offline" }));
    const res = await post(Buffer.from('{"message":"add café ☕ 𝄞"}'));
    expect(res.status).toBe(200);
    expect(backend.requests[0]?.body).toBe('{"message":"add café ☕ 𝄞"}');
  });
});

describe("BACKEND_URL with credentials", () => {
  const secretUrl = (base: string) => base.replace("http://", "http://todo-user:s3cr3t-pw@");
  const assistant = routes.find((r) => r.path === "/api/assistant")!.mod;
  const status = routes.find((r) => r.path === "/api/status")!.mod;

  it("sends them as Basic auth, never in the URL", async () => {
    vi.stubEnv("BACKEND_URL", secretUrl(backend.url));
    backend.handle((_r, res) => json(res, 200, { mode: "offline", model: null }));
    const res = await call(assistant, "GET", "/api/assistant");
    expect(res.status).toBe(200);
    expect(backend.requests[0]?.headers.authorization).toBe("Basic " + Buffer.from("todo-user:s3cr3t-pw").toString("base64"));
  });

  it.each([
    ["refused", async () => secretUrl(await closedPortUrl())],
    ["unresolvable", async () => "http://todo-user:s3cr3t-pw@no-such-backend.invalid:8000"],
    ["unparsable", async () => "http://todo-user:s3cr3t-pw@[bad"],
  ])("never appear (nor the address) in a 502 or in /api/status: %s", async (_name, url) => {
    const value = await url();
    vi.stubEnv("BACKEND_URL", value);
    const host = value.replace(/^http:\/\/[^@]*@/, "").replace(/[:/].*$/, "");
    for (const res of [await call(assistant, "GET", "/api/assistant"), await call(status, "GET", "/api/status")]) {
      expect(res.status).toBeGreaterThanOrEqual(502);
      const text = await res.text();
      for (const secret of ["s3cr3t-pw", "todo-user", host]) expect(text).not.toContain(secret);
      expect(JSON.parse(text)).toBeTruthy();
    }
  });

  it("a timeout says so without the address", async () => {
    vi.stubEnv("BACKEND_URL", secretUrl(backend.url));
    backend.handle(() => {
      /* never answers */
    });
    const { proxyToBackend } = await import("@/lib/backend");
    const res = await proxyToBackend({ path: "/api/todos", timeoutMs: 100 });
    expect(res.status).toBe(504);
    const text = await res.text();
    expect(text).not.toContain("s3cr3t-pw");
    expect(text).not.toContain("127.0.0.1");
  });
});
