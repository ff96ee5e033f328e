// scripts/request-guard.mjs in front of a real Node HTTP server, over real sockets: what
// Next.js would mangle never reaches it (the production server installs the same guard).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { REFUSED_METHOD_HEADER, guardRequests, malformedQuery } from "../../scripts/request-guard.mjs";

let server: Server;
let port: number;
const seen: { method: string; url: string; refused: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer(
    guardRequests((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", refused: req.headers[REFUSED_METHOD_HEADER] as string | undefined });
      res.end("next");
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

/** A raw request: the path goes on the wire exactly as given. */
function send(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("methods Next.js cannot dispatch", () => {
  it.each(["TRACE", "PROPFIND", "PURGE", "MKCOL"])("%s reaches the app as OPTIONS carrying the method", async (m) => {
    expect((await send(m, "/api/todos")).body).toBe("next");
    expect(seen).toEqual([{ method: "OPTIONS", url: "/api/todos", refused: m }]);
  });

  it.each(["GET", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD", "PUT"])("%s passes untouched", async (m) => {
    await send(m, "/api/todos");
    expect(seen).toEqual([{ method: m, url: "/api/todos", refused: undefined }]);
  });

  it("drops a client's own copy of the marker header", async () => {
    await send("OPTIONS", "/api/todos", { [REFUSED_METHOD_HEADER]: "DELETE" });
    expect(seen[0]?.refused).toBeUndefined();
  });
});

describe("query strings that are not UTF-8", () => {
  it.each([
    ["/api/todos?q=%FF", '"q"'],
    ["/api/todos?status=all&q=caf%C3", '"q"'],
    ["/api/todos?q=%ED%A0%80", '"q"'], // an encoded lone surrogate
    ["/?%FF=1", "name"],
  ])("%s is a JSON 400 naming the parameter, before the app sees it", async (path, names) => {
    const res = await send("GET", path);
    expect(res.status).toBe(400);
    const { detail } = JSON.parse(res.body);
    expect(detail).toContain(names);
    expect(detail).toMatch(/not valid percent-encoded UTF-8/);
    expect(seen).toEqual([]);
  });

  it("valid escapes, + and bare % in values that decode pass", async () => {
    for (const path of ["/api/todos?q=caf%C3%A9+au+lait", "/api/todos?q=%F0%9F%8D%B5&limit=5", "/api/todos?flag", "/"]) {
      expect(malformedQuery(path), path).toBeNull();
      expect((await send("GET", path)).body).toBe("next");
    }
  });
});
