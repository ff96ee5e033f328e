// A real HTTP server on a free loopback port standing in for the FastAPI backend, so the
// proxy handlers are tested over real sockets (refused connections, slow answers, HTML).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, vi } from "vitest";

export interface Recorded {
  method: string;
  url: string;
  body: string;
  headers: IncomingMessage["headers"];
  /** The client's port: two requests with the same one came over one kept-alive connection. */
  clientPort: number;
}

export type Handler = (req: Recorded, res: ServerResponse) => void;

export interface FakeBackend {
  url: string;
  requests: Recorded[];
  handle: (h: Handler) => void;
  close: () => Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startFakeBackend(): Promise<FakeBackend> {
  const requests: Recorded[] = [];
  let handler: Handler = (_req, res) => json(res, 500, { detail: "no handler set" });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec = { method: req.method ?? "", url: req.url ?? "", body: Buffer.concat(chunks).toString(), headers: req.headers, clientPort: req.socket.remotePort ?? 0 };
      requests.push(rec);
      handler(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * One stand-in backend for a test file: BACKEND_URL points at it and its request log is
 * empty before each test. The returned object is filled in once beforeAll has run.
 */
export function fakeBackendForFile(): FakeBackend {
  const live = {} as FakeBackend;
  beforeAll(async () => {
    Object.assign(live, await startFakeBackend());
  });
  afterAll(() => live.close());
  beforeEach(() => {
    live.requests.length = 0;
    vi.stubEnv("BACKEND_URL", live.url);
  });
  return live;
}
