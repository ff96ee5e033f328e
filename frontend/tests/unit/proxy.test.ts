// The /api/* route handlers against a real (fake) backend over HTTP.
import { afterEach, describe, expect, it, vi } from "vitest";
import http from "node:http";
import { GET as assistantGET } from "@/app/api/assistant/route";
import { POST as chatPOST } from "@/app/api/chat/route";
import { GET as healthzGET } from "@/app/api/healthz/route";
import { GET as statusGET } from "@/app/api/status/route";
import { GET as conversationGET } from "@/app/api/chat/conversations/[id]/route";
import { DELETE as todoDELETE, GET as todoGET, PATCH as todoPATCH, PUT as todoPUT } from "@/app/api/todos/[id]/route";
import { GET as todosGET, POST as todosPOST } from "@/app/api/todos/route";
import { DEFAULT_BACKEND_URL, backendUrl, describeFetchError, proxyToBackend, resendAfter } from "@/lib/backend";
import { closedPortUrl, fakeBackendForFile, json, startFakeBackend } from "../support/fakeBackend";
import { todo } from "../support/fixtures";

// What the app's own page sends: JSON bodies say so (api-guards.test.ts covers the rest).
const req = (path: string, init: RequestInit = {}) =>
  new Request(`http://frontend.test${path}`, {
    ...init,
    headers: init.body !== undefined ? { "Content-Type": "application/json", ...init.headers } : init.headers,
  });
const ctx = (id: string) => ({ params: Promise.resolve({ id }) });
const noCtx = { params: Promise.resolve({}) };

const backend = fakeBackendForFile();
afterEach(() => vi.unstubAllEnvs());

describe("BACKEND_URL", () => {
  it("defaults to localhost:8000 and drops trailing slashes", () => {
    vi.stubEnv("BACKEND_URL", "");
    expect(backendUrl()).toBe(DEFAULT_BACKEND_URL);
    vi.stubEnv("BACKEND_URL", "http://todo-chatbot-backend:8000//");
    expect(backendUrl()).toBe("http://todo-chatbot-backend:8000");
  });

  it("is read on every request, not fixed at start", async () => {
    const other = await startFakeBackend();
    try {
      other.handle((_r, res) => json(res, 200, { mode: "offline", model: null }));
      backend.handle((_r, res) => json(res, 200, { mode: "gemini", model: "gemini-x" }));
      expect(await (await assistantGET(req("/api/assistant"), noCtx)).json()).toEqual({ mode: "gemini", model: "gemini-x" });
      vi.stubEnv("BACKEND_URL", other.url);
      expect(await (await assistantGET(req("/api/assistant"), noCtx)).json()).toEqual({ mode: "offline", model: null });
    } finally {
      await other.close();
    }
  });
});

describe("/api/todos", () => {
  it("forwards the list query (only known parameters) and relays the page", async () => {
    const page = { items: [todo()], total: 1, limit: 10, offset: 0 };
    backend.handle((_r, res) => json(res, 200, page));
    const res = await todosGET(req("/api/todos?status=done&q=milk&limit=10&evil=1&offset="), noCtx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(page);
    expect(backend.requests[0]).toMatchObject({ method: "GET", url: "/api/todos?status=done&q=milk&limit=10" });
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("creates with the JSON body and relays 201", async () => {
    const created = todo({ title: "Buy milk" });
    backend.handle((_r, res) => json(res, 201, created));
    const res = await todosPOST(req("/api/todos", { method: "POST", body: JSON.stringify({ title: "Buy milk" }) }), noCtx);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(created);
    expect(backend.requests[0]?.body).toBe('{"title":"Buy milk"}');
    expect(backend.requests[0]?.headers["content-type"]).toBe("application/json");
  });

  it("relays the backend's 422 field errors unchanged", async () => {
    const detail = [{ loc: ["body", "title"], msg: "String should have at least 1 character", type: "string_too_short" }];
    backend.handle((_r, res) => json(res, 422, { detail }));
    const res = await todosPOST(req("/api/todos", { method: "POST", body: JSON.stringify({ title: "" }) }), noCtx);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ detail });
  });

  it("rejects a non-JSON body with 400 without calling the backend", async () => {
    const res = await todosPOST(req("/api/todos", { method: "POST", body: "title=milk" }), noCtx);
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/must be JSON/);
    expect(backend.requests).toHaveLength(0);
  });

  it("rejects a JSON array body with 400", async () => {
    const res = await todosPOST(req("/api/todos", { method: "POST", body: "[1,2]" }), noCtx);
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/JSON object/);
  });

  it("rejects an oversized body with 413 without calling the backend", async () => {
    const big = JSON.stringify({ title: "x", notes: "n".repeat(70 * 1024) });
    const res = await todosPOST(req("/api/todos", { method: "POST", body: big }), noCtx);
    expect(res.status).toBe(413);
    expect(backend.requests).toHaveLength(0);
  });
});

describe("/api/todos/[id]", () => {
  it("gets, patches and deletes by id", async () => {
    const t = todo({ id: 7 });
    backend.handle((r, res) => {
      if (r.method === "DELETE") {
        res.writeHead(204);
        res.end();
      } else json(res, 200, r.method === "PATCH" ? { ...t, done: true } : t);
    });
    expect(await (await todoGET(req("/api/todos/7"), ctx("7"))).json()).toEqual(t);
    const patched = await todoPATCH(req("/api/todos/7", { method: "PATCH", body: '{"done":true}' }), ctx("7"));
    expect(await patched.json()).toMatchObject({ id: 7, done: true });
    const deleted = await todoDELETE(req("/api/todos/7", { method: "DELETE" }), ctx("7"));
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect(backend.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      "GET /api/todos/7 ",
      'PATCH /api/todos/7 {"done":true}',
      "DELETE /api/todos/7 ",
    ]);
  });

  it.each(["abc", "0", "-1", "1.5", "1/../../admin", "99999999999999999999999"])("rejects id %j with 400", async (id) => {
    const res = await todoGET(req(`/api/todos/${encodeURIComponent(id)}`), ctx(id));
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/positive whole number/);
    expect(backend.requests).toHaveLength(0);
  });

  it("relays a 404 with its detail", async () => {
    backend.handle((_r, res) => json(res, 404, { detail: "Todo 42 not found" }));
    const res = await todoPATCH(req("/api/todos/42", { method: "PATCH", body: '{"title":"x"}' }), ctx("42"));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "Todo 42 not found" });
  });
});

describe("PUT /api/todos/[id] (undo a delete)", () => {
  it("forwards the whole todo and relays the restored one", async () => {
    const t = todo({ id: 9, title: "Back again" });
    backend.handle((_r, res) => json(res, 200, t));
    const body = '{"title":"Back again","notes":"","due_date":null,"priority":"medium","done":false}';
    const res = await todoPUT(req("/api/todos/9", { method: "PUT", body }), ctx("9"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(t);
    expect(backend.requests[0]).toMatchObject({ method: "PUT", url: "/api/todos/9", body });
  });
});

describe("/api/chat/conversations/[id]", () => {
  const uuid = "0b6c9d4e-8f1a-4c2b-9d3e-5f6a7b8c9d0e";
  it("relays a stored conversation", async () => {
    const conv = { id: uuid, messages: [{ role: "user", content: "hi", created_at: "2026-01-01T00:00:00Z" }] };
    backend.handle((_r, res) => json(res, 200, conv));
    const res = await conversationGET(req(`/api/chat/conversations/${uuid}`), ctx(uuid));
    expect(await res.json()).toEqual(conv);
    expect(backend.requests[0]?.url).toBe(`/api/chat/conversations/${uuid}`);
  });

  it.each(["abc", "../../todos", `${uuid}x`])("refuses id %j with 400 without asking the backend", async (id) => {
    const res = await conversationGET(req(`/api/chat/conversations/${encodeURIComponent(id)}`), ctx(id));
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/Conversation id must be the UUID/);
    expect(backend.requests).toHaveLength(0);
  });
});

describe("/api/chat", () => {
  it("forwards the message and relays the reply with its actions", async () => {
    const reply = { reply: "Added", conversation_id: "c1", actions: [{ type: "created", todo: todo() }], mode: "offline" };
    backend.handle((_r, res) => json(res, 200, reply));
    const res = await chatPOST(req("/api/chat", { method: "POST", body: '{"message":"add milk"}' }), noCtx);
    expect(await res.json()).toEqual(reply);
    expect(backend.requests[0]).toMatchObject({ method: "POST", url: "/api/chat", body: '{"message":"add milk"}' });
  });

  it.each([
    [429, "Gemini is rate limiting requests; try again in a minute."],
    [502, "Gemini returned a malformed function call."],
    [504, "Gemini did not answer within 20 seconds."],
  ])("relays a Gemini failure %i with its readable detail", async (status, detail) => {
    backend.handle((_r, res) => json(res, status, { detail }));
    const res = await chatPOST(req("/api/chat", { method: "POST", body: '{"message":"hi"}' }), noCtx);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ detail });
  });
});

describe("backend down or broken", () => {
  it("answers 502 with a readable reason when the backend refuses connections", async () => {
    vi.stubEnv("BACKEND_URL", await closedPortUrl());
    const res = await todosGET(req("/api/todos"), noCtx);
    expect(res.status).toBe(502);
    expect((await res.json()).detail).toMatch(/unreachable \(connection refused: is the backend running\?\)/);
  });

  it("answers 502 without naming the host when the host name does not resolve", async () => {
    vi.stubEnv("BACKEND_URL", "http://no-such-host.invalid:8000");
    const res = await assistantGET(req("/api/assistant"), noCtx);
    expect(res.status).toBe(502);
    const { detail } = await res.json();
    expect(detail).toBe("The backend is unreachable (its host name does not resolve).");
  });

  it("sends a GET again once when its connection is reset before any answer (a pod shutting down)", async () => {
    let calls = 0;
    backend.handle((_r, res) => {
      calls += 1;
      if (calls === 1) res.socket?.destroy();
      else json(res, 200, { items: [], total: 0, limit: 50, offset: 0 });
    });
    const res = await todosGET(req("/api/todos"), noCtx);
    expect(res.status).toBe(200);
    expect(backend.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
  });

  it("tries a refused connection again after short pauses, for any method (it never reached the backend)", async () => {
    // A port that refuses at first and answers some 120 ms later, like a new endpoint the
    // node's policy controller has not admitted yet.
    const url = await closedPortUrl();
    const port = Number(new URL(url).port);
    const late = http.createServer((_r, res) => json(res, 201, todo()));
    const listening = new Promise<void>((resolve) => setTimeout(() => late.listen(port, "127.0.0.1", resolve), 120));
    vi.stubEnv("BACKEND_URL", url);
    try {
      const res = await todosPOST(req("/api/todos", { method: "POST", body: JSON.stringify({ title: "late" }) }), noCtx);
      expect(res.status).toBe(201);
    } finally {
      await listening;
      await new Promise((resolve) => late.close(resolve));
    }
  });

  it("never sends a POST again after a reset: the backend may have stored it", async () => {
    backend.handle((_r, res) => res.socket?.destroy());
    const res = await todosPOST(req("/api/todos", { method: "POST", body: JSON.stringify({ title: "once" }) }), noCtx);
    expect(res.status).toBe(502);
    expect((await res.json()).detail).toMatch(/unreachable/);
    expect(backend.requests).toHaveLength(1);
  });

  it("sends a POST or PATCH on a connection of its own, even when the pool holds an idle one", async () => {
    backend.handle((r, res) => (r.method === "GET" ? json(res, 200, { items: [], total: 0, limit: 50, offset: 0 }) : json(res, 201, todo())));
    const post = () => todosPOST(req("/api/todos", { method: "POST", body: JSON.stringify({ title: "t" }) }), noCtx);
    const patch = () => todoPATCH(req("/api/todos/1", { method: "PATCH", body: JSON.stringify({ done: true }) }), ctx("1"));
    const get = () => todosGET(req("/api/todos"), noCtx);
    // The first read leaves an idle keep-alive connection in the pool; fetch's own pool
    // would send the next request on it, whatever its Connection header says.
    for (const send of [get, post, post, patch, get, get, get, get]) {
      expect((await send()).ok).toBe(true);
    }
    const ports = backend.requests.map((r) => `${r.method} ${r.clientPort}`);
    const reads = backend.requests.filter((r) => r.method === "GET");
    const writes = backend.requests.filter((r) => r.method !== "GET");
    const readPorts = new Set(reads.map((r) => r.clientPort));
    expect(new Set(writes.map((r) => r.clientPort)).size, ports.join(", ")).toBe(3);
    for (const w of writes) expect(readPorts.has(w.clientPort), ports.join(", ")).toBe(false);
    // Reads, which are resent after a reset, keep using pooled connections.
    expect(reads.map((r) => r.headers.connection)).toEqual(Array(5).fill("keep-alive"));
    expect(readPorts.size).toBeLessThan(5);
  });

  it("sends a reset read again, on a new connection, when every pooled connection was closed", async () => {
    // A backend of its own, so the pool holds only the connections made here.
    const departing = await startFakeBackend();
    vi.stubEnv("BACKEND_URL", departing.url);
    const page = { items: [], total: 0, limit: 50, offset: 0 };
    try {
      // Two reads at once leave two idle pooled connections.
      let both: () => void = () => {};
      const arrived = new Promise<void>((resolve) => (both = resolve));
      departing.handle((_r, res) => {
        if (departing.requests.length === 2) both();
        void arrived.then(() => json(res, 200, page));
      });
      await Promise.all([todosGET(req("/api/todos"), noCtx), todosGET(req("/api/todos"), noCtx)]);
      const pooledPorts = new Set(departing.requests.map((r) => r.clientPort));
      expect(pooledPorts.size).toBe(2);
      // The pool marks a connection free in a callback after the answer is read.
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The backend now closes every connection it had, as a pod shutting down does.
      departing.handle((r, res) => (pooledPorts.has(r.clientPort) ? res.socket?.destroy() : json(res, 200, page)));
      const res = await todosGET(req("/api/todos"), noCtx);
      expect(res.status).toBe(200);
      const [first, resent] = departing.requests.slice(2);
      expect(pooledPorts.has(first!.clientPort)).toBe(true);
      expect(pooledPorts.has(resent!.clientPort)).toBe(false);
    } finally {
      await departing.close();
    }
  });

  it.each([
    ["EHOSTUNREACH", "The backend is unreachable (no route to its address)."],
    ["ENETUNREACH", "The backend is unreachable (no route to its address)."],
    ["ECONNRESET", "The backend is unreachable (the connection was reset)."],
    ["EPROTO", "The backend is unreachable (a network error)."],
  ])("says why in words after %s, naming no address", (code, detail) => {
    const err = Object.assign(new TypeError("fetch failed"), { cause: { code, message: `connect ${code} 10.244.1.7:8000` } });
    expect(describeFetchError(err, "http://user:pw@backend:8000")).toEqual({ status: 502, detail });
  });

  it.each([
    ["ECONNREFUSED", "POST", [50, 150, 400, null]],
    ["ENETUNREACH", "PATCH", [50, 150, 400, null]],
    ["EHOSTUNREACH", "GET", [50, 150, 400, null]],
    ["ECONNRESET", "GET", [0, null]],
    ["UND_ERR_SOCKET", "DELETE", [0, null]],
    ["ECONNRESET", "POST", [null]],
    ["ENOTFOUND", "GET", [null]],
  ] as const)("after %s on a %s, waits %j ms before each next attempt (null: gives up)", (code, method, pauses) => {
    const err = Object.assign(new TypeError("fetch failed"), { cause: { code } });
    pauses.forEach((pause, attempt) => expect(resendAfter(err, method, attempt)).toBe(pause));
  });

  it("answers 502 when the backend sends HTML instead of JSON", async () => {
    backend.handle((_r, res) => {
      res.writeHead(500, { "Content-Type": "text/html" });
      res.end("<html>Internal Server Error</html>");
    });
    const res = await todosGET(req("/api/todos"), noCtx);
    expect(res.status).toBe(502);
    expect((await res.json()).detail).toBe("The backend answered HTTP 500 with a non-JSON body; expected JSON.");
  });

  it("answers 504 when the backend does not answer in time", async () => {
    backend.handle(() => {
      /* never answers */
    });
    const res = await proxyToBackend({ path: "/api/todos", timeoutMs: 150 });
    expect(res.status).toBe(504);
    expect((await res.json()).detail).toMatch(/did not answer in time/);
  });
});

describe("/api/healthz and /api/status", () => {
  it("healthz is ok without any backend", async () => {
    vi.stubEnv("BACKEND_URL", await closedPortUrl());
    const res = await healthzGET(req("/api/healthz"), noCtx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("status is 200 when the backend is ready", async () => {
    backend.handle((_r, res) => json(res, 200, { status: "ready", database: "ok" }));
    const res = await statusGET(req("/api/status"), noCtx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      frontend: "ok",
      backend: { reachable: true, ready: true, detail: "ready (database: ok)" },
    });
    expect(backend.requests[0]?.url).toBe("/readyz");
  });

  it("status is 503 when the backend is up but its database is not", async () => {
    backend.handle((_r, res) => json(res, 503, { status: "unavailable", database: "connection refused" }));
    const res = await statusGET(req("/api/status"), noCtx);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.backend).toMatchObject({ reachable: true, ready: false });
    expect(body.backend.detail).toMatch(/HTTP 503.*connection refused/);
  });

  it("status is 503 when the backend is unreachable", async () => {
    const url = await closedPortUrl();
    vi.stubEnv("BACKEND_URL", url);
    const res = await statusGET(req("/api/status"), noCtx);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toMatchObject({ frontend: "ok", backend: { reachable: false, ready: false } });
    expect(JSON.stringify(body)).not.toContain(url.replace("http://", ""));
    expect(body.backend.detail).toMatch(/connection refused/);
  });
});
