// Request ids, Prometheus metrics and JSON log lines of the /api proxy, against a real (fake)
// backend over HTTP and the real metrics listener.
import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GET as statusGET } from "@/app/api/status/route";
import { GET as todoGET, PATCH as todoPATCH } from "@/app/api/todos/[id]/route";
import { GET as todosGET } from "@/app/api/todos/route";
import { REFUSED_PAUSES_MS } from "@/lib/backend";
import { formatLine } from "@/lib/log";
import { metrics } from "@/lib/metrics";
import { metricsPort, startMetricsServer } from "@/lib/metrics-server";
import { requestIdFrom, routeTemplate } from "@/lib/request-context";
import { closedPortUrl, fakeBackendForFile, json } from "../support/fakeBackend";
import { todo } from "../support/fixtures";

const req = (path: string, init: RequestInit = {}) =>
  new Request(`http://frontend.test${path}`, {
    ...init,
    headers: init.body !== undefined ? { "Content-Type": "application/json", ...init.headers } : init.headers,
  });
const ctx = (id: string) => ({ params: Promise.resolve({ id }) });
const noCtx = { params: Promise.resolve({}) };
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const backend = fakeBackendForFile();
afterEach(() => vi.unstubAllEnvs());

async function counterValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics().registry.getSingleMetric(name)?.get();
  const hit = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit?.value ?? 0;
}

describe("X-Request-ID", () => {
  it("keeps a well-formed client id, sends it to the backend and returns it", async () => {
    backend.handle((_r, res) => json(res, 200, todo()));
    const res = await todoGET(req("/api/todos/1", { headers: { "X-Request-ID": "client-42:a.b_c" } }), ctx("1"));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("client-42:a.b_c");
    expect(backend.requests[0]?.headers["x-request-id"]).toBe("client-42:a.b_c");
  });

  it.each([
    ["too long", "a".repeat(129)],
    ["a space", "two words"],
    ["a quote", 'x"y'],
    ["empty", ""],
  ])("replaces an id with %s by a fresh uuid4", async (_why, given) => {
    backend.handle((_r, res) => json(res, 200, todo()));
    const res = await todoGET(req("/api/todos/1", { headers: { "X-Request-ID": given } }), ctx("1"));
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(UUID4);
    expect(backend.requests[0]?.headers["x-request-id"]).toBe(id);
  });

  it("generates one per request when none is sent, also on writes (which keep Connection: close)", async () => {
    backend.handle((_r, res) => json(res, 200, todo()));
    const a = await todoGET(req("/api/todos/1"), ctx("1"));
    const b = await todoPATCH(req("/api/todos/1", { method: "PATCH", body: JSON.stringify({ done: true }) }), ctx("1"));
    const [idA, idB] = [a.headers.get("x-request-id"), b.headers.get("x-request-id")];
    expect(idA).toMatch(UUID4);
    expect(idB).toMatch(UUID4);
    expect(idA).not.toBe(idB);
    expect(backend.requests.map((r) => r.headers["x-request-id"])).toEqual([idA, idB]);
    expect(backend.requests[1]?.headers.connection).toBe("close");
  });

  it("is on answers the proxy makes itself (400 bad id) and on the status probe", async () => {
    const bad = await todoGET(req("/api/todos/abc", { headers: { "X-Request-ID": "r-1" } }), ctx("abc"));
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-request-id")).toBe("r-1");
    backend.handle((_r, res) => json(res, 200, { status: "ready", database: "ok" }));
    const status = await statusGET(req("/api/status", { headers: { "X-Request-ID": "r-2" } }), noCtx);
    expect(status.headers.get("x-request-id")).toBe("r-2");
    expect(backend.requests[0]?.headers["x-request-id"]).toBe("r-2");
  });

  it("accepts exactly the contract's alphabet and length", () => {
    const headers = (v: string) => new Headers({ "X-Request-ID": v });
    expect(requestIdFrom(headers("A".repeat(128)))).toBe("A".repeat(128));
    expect(requestIdFrom(headers("a/b"))).toMatch(UUID4);
    expect(requestIdFrom(new Headers())).toMatch(UUID4);
  });
});

describe("route templates", () => {
  it("never puts a raw id into a label", () => {
    expect(routeTemplate("/api/todos/123")).toBe("/api/todos/{id}");
    expect(routeTemplate("/api/chat/conversations/0b1e9f2a-1111-4222-8333-444455556666")).toBe(
      "/api/chat/conversations/{id}",
    );
    expect(routeTemplate("/api/todos")).toBe("/api/todos");
    expect(routeTemplate("/api/nope/1")).toBe("other");
  });
});

describe("metrics", () => {
  it("count proxied requests by route template and status, and time the upstream call", async () => {
    const labels = { route: "/api/todos/{id}", status: "404" };
    const before = await counterValue("todo_frontend_proxy_requests_total", labels);
    const countBefore = await counterValue("todo_frontend_upstream_duration_seconds", { route: "/api/todos/{id}", le: "+Inf" });
    backend.handle((_r, res) => json(res, 404, { detail: "Todo 7 not found" }));
    await todoGET(req("/api/todos/7"), ctx("7"));
    await todoGET(req("/api/todos/8"), ctx("8"));
    expect(await counterValue("todo_frontend_proxy_requests_total", labels)).toBe(before + 2);
    expect(
      await counterValue("todo_frontend_upstream_duration_seconds", { route: "/api/todos/{id}", le: "+Inf" }),
    ).toBe(countBefore + 2);
  });

  it("count each resend after a refused connection as a retry", async () => {
    vi.stubEnv("BACKEND_URL", await closedPortUrl());
    const before = await counterValue("todo_frontend_upstream_retries_total", { route: "/api/todos" });
    const res = await todosGET(req("/api/todos"), noCtx);
    expect(res.status).toBe(502);
    expect(await counterValue("todo_frontend_upstream_retries_total", { route: "/api/todos" })).toBe(before + REFUSED_PAUSES_MS.length);
    expect(await counterValue("todo_frontend_proxy_requests_total", { route: "/api/todos", status: "502" })).toBeGreaterThan(0);
  });

  it("METRICS_PORT: default 9090, 0 is off, anything else is an error naming it", () => {
    expect(metricsPort(undefined)).toBe(9090);
    expect(metricsPort(" ")).toBe(9090);
    expect(metricsPort("0")).toBe(0);
    expect(metricsPort("9464")).toBe(9464);
    expect(() => metricsPort("nine")).toThrow(/METRICS_PORT must be a port number/);
    expect(() => metricsPort("70000")).toThrow(/METRICS_PORT/);
  });

  it("are served in the Prometheus text format on their own port, once per process", async () => {
    const port = await freePort();
    const server = await startMetricsServer(port, "127.0.0.1");
    expect(await startMetricsServer(port + 1, "127.0.0.1")).toBe(server);
    backend.handle((_r, res) => json(res, 200, { items: [], total: 0, limit: 50, offset: 0 }));
    await todosGET(req("/api/todos"), noCtx);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^todo_frontend_proxy_requests_total\{route="\/api\/todos",status="200"\} [1-9]/m);
    expect(text).toContain("# TYPE todo_frontend_upstream_duration_seconds histogram");
    expect(text).toContain("# TYPE todo_frontend_upstream_retries_total counter");
    expect(text).toContain("process_cpu_user_seconds_total");
    expect((await fetch(`http://127.0.0.1:${port}/api/todos`)).status).toBe(404);
    server?.close();
  });
});

describe("LOG_FORMAT=json", () => {
  it("writes one parseable access line per request with the contract's fields", async () => {
    vi.stubEnv("LOG_FORMAT", "json");
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    backend.handle((_r, res) => json(res, 200, todo()));
    await todoGET(req("/api/todos/3", { headers: { "X-Request-ID": "log-me-1" } }), ctx("3"));
    vi.mocked(process.stdout.write).mockRestore();
    const access = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.logger === "frontend.access");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: "info", request_id: "log-me-1", method: "GET", route: "/api/todos/{id}", status: 200 });
    expect(access[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof access[0]!.duration_ms).toBe("number");
    expect(typeof access[0]!.message).toBe("string");
  });

  it("logs a failed backend call as JSON without the BACKEND_URL credentials", async () => {
    vi.stubEnv("LOG_FORMAT", "json");
    const down = new URL(await closedPortUrl());
    vi.stubEnv("BACKEND_URL", `http://svc-user:log-secret-pw@127.0.0.1:${down.port}`);
    const out: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
    const res = await todosGET(req("/api/todos", { headers: { "X-Request-ID": "down-1" } }), noCtx);
    vi.mocked(process.stdout.write).mockRestore();
    vi.mocked(process.stderr.write).mockRestore();
    expect(res.status).toBe(502);
    const parsed = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.find((l) => l.logger === "frontend.proxy")).toMatchObject({ level: "error", request_id: "down-1" });
    expect(parsed.find((l) => l.logger === "frontend.access")).toMatchObject({ level: "error", status: 502 });
    expect(out.join("")).not.toMatch(/log-secret-pw|svc-user/);
  });

  it("keeps the credentials of an unparsable BACKEND_URL out of the log", async () => {
    vi.stubEnv("BACKEND_URL", "http://bad-user:bad-secret-pw@[broken");
    const out: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    expect((await todosGET(req("/api/todos"), noCtx)).status).toBe(502);
    vi.mocked(process.stderr.write).mockRestore();
    expect(out.join("")).toContain("backend request to http://[broken failed");
    expect(out.join("")).not.toMatch(/bad-secret-pw|bad-user/);
  });

  it("keeps a plain line for people otherwise", () => {
    vi.stubEnv("LOG_FORMAT", "text");
    expect(formatLine("warn", "frontend.x", "hello", { a: 1, b: undefined })).toBe("WARN frontend.x: hello a=1");
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe("Next's own console lines with LOG_FORMAT=json", () => {
  it("become JSON objects with the text and no terminal colours", async () => {
    const { jsonConsoleLine } = await import("../../scripts/json-console.mjs");
    const line = jsonConsoleLine("info", ["\u001b[32m✓\u001b[39m Ready in %dms", 42], new Date("2026-01-02T03:04:05Z"));
    expect(JSON.parse(line)).toEqual({ time: "2026-01-02T03:04:05.000Z", level: "info", logger: "next", message: "✓ Ready in 42ms" });
  });
});
