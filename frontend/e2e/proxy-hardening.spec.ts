// The proxy as an attacker meets it, on the real production server in front of the real
// backend and PostgreSQL (tests/run/frontend-e2e.sh): another site's page, a huge upload, bytes that are not
// UTF-8, methods no route has. Every todo made here is removed again, so the UI tests that
// follow still start from an empty list.
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type APIRequestContext } from "@playwright/test";

test.describe.configure({ mode: "serial" });

const MB = 1024 * 1024;

async function createTodo(request: APIRequestContext, title: string): Promise<number> {
  const res = await request.post("/api/todos", { data: { title } });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}
async function allTodos(request: APIRequestContext): Promise<{ id: number; title: string }[]> {
  const res = await request.get("/api/todos?limit=100");
  expect(res.status()).toBe(200);
  return (await res.json()).items;
}
async function removeAll(request: APIRequestContext) {
  for (const t of await allTodos(request)) await request.delete(`/api/todos/${t.id}`);
}

test.afterAll(async ({ request }) => {
  await removeAll(request);
});

/** A page on another loopback port: same site as the app, another origin. */
async function serveAttackerPage(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

test("a page on another origin cannot add, change or delete todos", async ({ page, request, baseURL }) => {
  const victim = await createTodo(request, "Keep me");
  const before = await allTodos(request);
  // The no-cors fetch, its siblings, and a classic text/plain form post.
  const attack = await serveAttackerPage(`<!doctype html><title>not the app</title>
<form id="f" method="POST" action="${baseURL}/api/chat" enctype="text/plain">
  <input name='{"message":"delete ${victim}","x":"' value='"}'>
</form>
<script>
  const app = ${JSON.stringify(baseURL)};
  const writes = [
    ["/api/chat", { headers: { "Content-Type": "text/plain" }, body: '{"message":"delete ${victim}"}' }],
    ["/api/chat", { headers: { "Content-Type": "text/plain" }, body: '{"message":"add planted by another site"}' }],
    ["/api/todos", { headers: { "Content-Type": "text/plain" }, body: '{"title":"planted by another site"}' }],
    ["/api/todos", { body: new URLSearchParams({ title: "planted by another site" }) }],
  ];
  Promise.allSettled(writes.map(([path, init]) => fetch(app + path, { method: "POST", mode: "no-cors", ...init })))
    .then((results) => { window.results = results.map((r) => r.status); document.title = "sent"; });
</script>`);
  try {
    await page.goto(attack.url);
    await expect(page).toHaveTitle("sent");
    // Every request reached the app (an opaque answer, not a network error)...
    expect(await page.evaluate(() => (window as unknown as { results: string[] }).results)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    // ...and so does the form, whose answer the browser shows: the refusal.
    await Promise.all([page.waitForURL(`${baseURL}/api/chat`), page.evaluate(() => (document.getElementById("f") as HTMLFormElement).submit())]);
    await expect(page.locator("body")).toContainText("Cross-site request refused");
  } finally {
    attack.server.closeAllConnections();
    attack.server.close();
  }
  expect(await allTodos(request)).toEqual(before);
  // The app's own page still changes todos (same-origin): the rule is not "refuse all".
  await page.goto("/");
  await page.getByRole("button", { name: 'Delete "Keep me"' }).click();
  await expect.poll(async () => (await allTodos(request)).length).toBe(before.length - 1);
});

test("a non-JSON body is refused with 415 and a cross-site one with 403, naming the fix", async ({ request }) => {
  const text = await request.post("/api/todos", { headers: { "Content-Type": "text/plain" }, data: '{"title":"x"}' });
  expect(text.status()).toBe(415);
  expect((await text.json()).detail).toMatch(/Content-Type must be application\/json/);
  const foreign = await request.post("/api/todos", { headers: { Origin: "http://evil.example" }, data: { title: "x" } });
  expect(foreign.status()).toBe(403);
  expect(await allTodos(request)).toEqual([]);
});

/** Streams `total` bytes as a chunked POST; stops when the server answers or hangs up. */
function chunkedUpload(url: string, total: number): Promise<{ status: number | null; sent: number; error?: string }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let status: number | null = null;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve({ status, sent, error });
    };
    const req = httpRequest(url, { method: "POST", headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" } });
    req.on("response", (res) => {
      status = res.statusCode ?? null;
      res.resume();
      res.on("end", () => finish());
    });
    req.on("error", (e) => finish(e.message)); // EPIPE/ECONNRESET once the server hangs up
    const pump = () => {
      while (sent < total && status === null && !settled) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (sent >= total) req.end();
    };
    pump();
  });
}

test("a 200 MB chunked upload is cut off at the limit; the server's memory stays flat", async ({ baseURL }) => {
  const pid = Number(process.env.E2E_FRONTEND_PID);
  test.skip(!pid, "E2E_FRONTEND_PID not set: tests/run/frontend-e2e.sh passes the production server's PID");
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 5);
  let result: Awaited<ReturnType<typeof chunkedUpload>>;
  try {
    result = await chunkedUpload(`${baseURL}/api/chat`, 200 * MB);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rss());
  console.log(
    `200 MB chunked upload: answered ${result.status}, ${(result.sent / MB).toFixed(1)} MB sent before the server stopped reading; ` +
      `server RSS ${(before / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB (+${((peak - before) / MB).toFixed(1)} MB)`,
  );
  // The server answers 413 and closes with the rest of the upload unread; closing a socket
  // with unread data sends a reset, which can reach the client before it has read the 413
  // and discard it (seen as EPIPE/ECONNRESET on a loaded machine). Either way the upload was
  // cut off: what must hold is that little was sent and the memory stayed flat.
  if (result.status === null) expect(result.error ?? "", "no answer and no reset").toMatch(/EPIPE|ECONNRESET/);
  else expect(result.status).toBe(413);
  expect(result.sent).toBeLessThan(32 * MB);
  expect(peak - before).toBeLessThan(48 * MB);
});

test("bytes that are not UTF-8 are refused with 400, never stored as U+FFFD", async ({ request }) => {
  for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80]]) {
    const body = Buffer.from([...Buffer.from('{"title":"caf'), ...bad, ...Buffer.from('"}')]);
    const res = await request.post("/api/todos", { headers: { "Content-Type": "application/json" }, data: body });
    expect(res.status()).toBe(400);
    expect((await res.json()).detail).toMatch(/not valid UTF-8/);
  }
  const search = await request.get("/api/todos?q=caf%FF");
  expect(search.status()).toBe(400);
  expect((await search.json()).detail).toMatch(/"q" is not valid percent-encoded UTF-8/);
  expect((await allTodos(request)).filter((t) => t.title.includes("\ufffd"))).toEqual([]);
  // Valid UTF-8 round-trips exactly.
  const ok = await request.post("/api/todos", { headers: { "Content-Type": "application/json" }, data: Buffer.from('{"title":"café ☕ 𝄞"}') });
  expect(ok.status()).toBe(201);
  expect((await ok.json()).title).toBe("café ☕ 𝄞");
  await removeAll(request);
});

test("every route answers OPTIONS with its Allow, and any other method with a JSON 405 carrying it", async ({ request }) => {
  const routes: Record<string, string> = {
    "/api/todos": "GET, HEAD, OPTIONS, POST",
    "/api/todos/1": "DELETE, GET, HEAD, OPTIONS, PATCH, PUT",
    "/api/chat": "OPTIONS, POST",
    "/api/chat/conversations/0b6c9d4e-8f1a-4c2b-9d3e-5f6a7b8c9d0e": "GET, HEAD, OPTIONS",
    "/api/assistant": "GET, HEAD, OPTIONS",
    "/api/status": "GET, HEAD, OPTIONS",
    "/api/healthz": "GET, HEAD, OPTIONS",
  };
  for (const [path, allow] of Object.entries(routes)) {
    const options = await request.fetch(path, { method: "OPTIONS" });
    expect(options.status(), `OPTIONS ${path}`).toBe(204);
    expect(options.headers()["allow"], `OPTIONS ${path}`).toBe(allow);
    for (const method of ["TRACE", "PROPFIND", "PUT", "PATCH", "DELETE", "POST"]) {
      if (allow.split(", ").includes(method)) continue;
      const res = await request.fetch(path, { method });
      expect(res.status(), `${method} ${path}`).toBe(405);
      expect(res.headers()["allow"], `${method} ${path}`).toBe(allow);
      expect(res.headers()["content-type"]).toContain("application/json");
      expect((await res.json()).detail).toBe(`Method ${method} is not allowed on ${path}; use ${allow}.`);
    }
  }
  // The page itself: TRACE is a 405 too, not a 500.
  const page = await request.fetch("/", { method: "TRACE" });
  expect(page.status()).toBe(405);
  expect(page.headers()["allow"]).toMatch(/GET/);
});
