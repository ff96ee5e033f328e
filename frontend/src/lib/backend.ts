// Server-side only: how the Next.js route handlers reach the backend. The browser never
// talks to the backend; every /api/* handler goes through proxyToBackend below.
import { NextResponse } from "next/server";

export const DEFAULT_BACKEND_URL = "http://localhost:8000";

/** Reads BACKEND_URL at request time (never inlined at build time), without a trailing slash. */
export function backendUrl(): string {
  const raw = (process.env.BACKEND_URL ?? "").trim() || DEFAULT_BACKEND_URL;
  return raw.replace(/\/+$/, "");
}

// Chat may wait on Gemini: the backend has its own timeout and retries (about 60 s in all) and
// answers a precise 504 itself, so the proxy waits a little longer than that. Plain
// CRUD calls should be quick, so a hung backend surfaces fast as a readable 504.
export const TIMEOUT_MS = { default: 10_000, chat: 75_000, probe: 3_000 } as const;

// Requests the UI sends are tiny; refuse anything absurd before forwarding it.
export const MAX_BODY_BYTES = 64 * 1024;

type Json = Record<string, unknown>;

export function jsonError(status: number, detail: string): NextResponse {
  return NextResponse.json({ detail }, { status, headers: { "Cache-Control": "no-store" } });
}

/** A readable sentence for a failed fetch: refused, DNS, timeout, or anything else. */
export function describeFetchError(err: unknown, url: string): { status: number; detail: string } {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") {
    return { status: 504, detail: `The backend at ${url} did not answer in time. Try again in a moment.` };
  }
  const code = e?.cause?.code;
  const why =
    code === "ECONNREFUSED"
      ? "connection refused: is the backend running?"
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "its host name does not resolve: check BACKEND_URL"
        : code === "ECONNRESET"
          ? "the connection was reset"
          : (e?.cause?.message ?? e?.message ?? "unknown network error");
  return { status: 502, detail: `The backend at ${url} is unreachable (${why}).` };
}

export interface ProxyOptions {
  method?: string;
  /** Backend path including the query string, e.g. "/api/todos?status=done". */
  path: string;
  body?: string;
  timeoutMs?: number;
}

/**
 * Forwards one request to the backend and relays its status and JSON body unchanged.
 * Network failures become 502/504 with {"detail": "..."}; a non-JSON answer (a crashed
 * backend's HTML error page, say) becomes a 502 saying so, never an empty or broken body.
 */
export async function proxyToBackend(opts: ProxyOptions): Promise<Response> {
  const base = backendUrl();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  let upstream: Response;
  try {
    upstream = await fetch(base + opts.path, {
      method: opts.method ?? "GET",
      headers,
      body: opts.body,
      cache: "no-store",
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS.default),
    });
  } catch (err) {
    const { status, detail } = describeFetchError(err, base);
    return jsonError(status, detail);
  }
  if (upstream.status === 204) return new Response(null, { status: 204 });

  const text = await upstream.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = undefined;
  }
  if (data === undefined || data === null) {
    return jsonError(
      502,
      `The backend answered HTTP ${upstream.status} with ${text ? "a non-JSON body" : "an empty body"}; expected JSON.`,
    );
  }
  return NextResponse.json(data as Json, { status: upstream.status, headers: { "Cache-Control": "no-store" } });
}

/**
 * Reads a JSON request body for forwarding: enforces the size limit and that it parses as
 * a JSON object, so the backend only ever sees well-formed requests. Returns the body text
 * or an error Response.
 */
export async function readJsonBody(req: Request): Promise<string | Response> {
  const text = await req.text();
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    return jsonError(413, `Request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return jsonError(400, "Request body must be JSON, e.g. {\"title\": \"Buy milk\"}.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return jsonError(400, "Request body must be a JSON object.");
  }
  return text;
}

/** Probes the backend's /readyz for the status endpoint (and the deployment check). */
export async function probeBackend(): Promise<{ url: string; reachable: boolean; ready: boolean; detail: string }> {
  const url = backendUrl();
  try {
    const res = await fetch(url + "/readyz", {
      cache: "no-store",
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS.probe),
    });
    let body: { status?: unknown; database?: unknown } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // A non-JSON readyz still tells us the backend is reachable; the status code decides.
    }
    const ready = res.ok && body.status === "ready";
    const database = typeof body.database === "string" ? body.database : "unknown";
    const detail = ready
      ? `ready (database: ${database})`
      : `backend answered HTTP ${res.status} from /readyz (database: ${database})`;
    return { url, reachable: true, ready, detail };
  } catch (err) {
    return { url, reachable: false, ready: false, detail: describeFetchError(err, url).detail };
  }
}
