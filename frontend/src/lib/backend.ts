// Server-side only: how the Next.js route handlers reach the backend. The browser never
// talks to the backend; every /api/* handler goes through proxyToBackend below.
//
// BACKEND_URL is internal (a cluster DNS name, perhaps with credentials): it never appears in
// a response. Users read what went wrong in plain words; the server log names the target
// (without its credentials) for operators.
import { NextResponse } from "next/server";
import { Agent, fetch, Headers, type Response as BackendResponse } from "undici";
import { log } from "./log";
import { metrics } from "./metrics";
import { REQUEST_ID_HEADER, currentRequestContext } from "./request-context";

export const DEFAULT_BACKEND_URL = "http://localhost:8000";

export interface BackendTarget {
  /** scheme://host:port[/path] without credentials and without a trailing slash. */
  base: string;
  /** An Authorization header built from the URL's user:password, if it had one. */
  authorization?: string;
}

/** Reads BACKEND_URL at request time (never inlined at build time). */
export function backendTarget(): BackendTarget {
  const raw = (process.env.BACKEND_URL ?? "").trim() || DEFAULT_BACKEND_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Left as is: the fetch fails and the user reads "misconfigured", never the value.
    return { base: raw.replace(/\/+$/, "") };
  }
  // fetch() refuses URLs with credentials; send them the way curl does, as Basic auth.
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    authorization = "Basic " + Buffer.from(`${user}:${pass}`).toString("base64");
    url.username = "";
    url.password = "";
  }
  const base = (url.origin + url.pathname).replace(/\/+$/, "");
  return authorization ? { base, authorization } : { base };
}

/** The backend's base URL without credentials, for logs and tests. */
export function backendUrl(): string {
  return backendTarget().base;
}

// Chat may wait on Gemini: the backend has its own timeout and retries (about 60 s in all) and
// answers a precise 504 itself, so the proxy waits a little longer than that. Plain
// CRUD calls should be quick, so a hung backend surfaces fast as a readable 504.
export const TIMEOUT_MS = { default: 10_000, chat: 75_000, probe: 3_000 } as const;

export function jsonError(status: number, detail: string, headers: Record<string, string> = {}): NextResponse {
  return NextResponse.json({ detail }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

// Why the backend could not be reached, by the connection error's code, in words for users.
const UNREACHABLE_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused: is the backend running?",
  ENOTFOUND: "its host name does not resolve",
  EAI_AGAIN: "its host name does not resolve",
  ECONNRESET: "the connection was reset",
  EHOSTUNREACH: "no route to its address",
  ENETUNREACH: "no route to its address",
};

/**
 * A readable sentence for a failed fetch (refused, DNS, timeout, or anything else) that
 * names no internal address: the raw error, which may quote the URL, goes to the log only.
 */
export function describeFetchError(err: unknown, target: string): { status: number; detail: string } {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  const raw = e?.cause?.message ?? e?.message ?? String(err);
  // An unparsable BACKEND_URL reaches here as written: strip any user:password@ from it.
  target = target.replace(/\/\/[^/@]*@/, "//");
  log("error", "frontend.proxy", `backend request to ${target} failed: ${e?.cause?.code ?? e?.name ?? "error"}: ${raw}`, {
    request_id: currentRequestContext()?.requestId,
  });
  if (e?.name === "TimeoutError" || e?.name === "AbortError") {
    return { status: 504, detail: "The backend did not answer in time. Try again in a moment." };
  }
  const code = e?.cause?.code;
  const why =
    (code && UNREACHABLE_REASONS[code]) ??
    (e?.name === "TypeError" && !code ? "the frontend's backend address is misconfigured" : "a network error");
  return { status: 502, detail: `The backend is unreachable (${why}).` };
}

// Which connection a request goes out on. Reads share keep-alive connections (`pooled`). A
// pooled connection can be closed by the backend at the very moment a request goes out on
// it: a backend pod shutting down (a rolling update, a drain) closes its idle connections.
// The request then fails with a reset before any answer. A request that must not be sent
// twice (POST, PATCH: the backend may have applied it) therefore never takes a pooled
// connection: it goes out on one of its own (`fresh`: no keep-alive), which kube-proxy
// routes to a pod that is still an endpoint, so no shutdown can close it under the request;
// in the cluster that costs one TCP handshake. (A `Connection: close` header is not enough:
// fetch's pool sends such a request on an idle pooled connection when it has one.) A read
// that was reset is sent again, once, also on a fresh connection: the pool may hold more
// connections to the same departing pod.
//
// A connection that was never made (refused, no route to the pod's address) never reached
// the backend, so any request is tried again, a few times after short pauses: under an
// enforcing NetworkPolicy controller a pod that has just become a Service endpoint can
// refuse this pod's connections for a moment, until the controller on its node has added
// this pod's address to the allowed set (kube-proxy and the policy controller sync apart),
// and a node that has just come back can take traffic a moment before its pod routes are
// announced again. The pauses bound the extra wait to REFUSED_PAUSES_MS's sum.
//
// The keep-alive time stays under the backend's (uvicorn closes an idle connection after
// 5 s), so the pool never picks a connection the backend is about to close for idleness.
const pooled = new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000 });
const fresh = new Agent({ pipelining: 0 });
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);
const NOT_CONNECTED_CODES = new Set(["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH"]);
export const REFUSED_PAUSES_MS = [50, 150, 400] as const;

function errorCode(err: unknown): string | undefined {
  return (err as { cause?: { code?: string } })?.cause?.code;
}

/** How long to wait before sending again after failed attempt number `attempt` (0-based), or null for never. */
export function resendAfter(err: unknown, method: string, attempt: number): number | null {
  const code = errorCode(err);
  if (code !== undefined && NOT_CONNECTED_CODES.has(code)) return REFUSED_PAUSES_MS[attempt] ?? null;
  return attempt === 0 && IDEMPOTENT.has(method) && code !== undefined && RESET_CODES.has(code) ? 0 : null;
}

/** fetch() to the backend with the credentials (if any) as a header, never in the URL. */
function backendFetch(
  target: BackendTarget,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs: number; ownConnection?: boolean },
): Promise<BackendResponse> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  if (target.authorization) headers.set("Authorization", target.authorization);
  const method = init.method ?? "GET";
  // The backend logs under the same id, so one request can be followed through both apps.
  const ctx = currentRequestContext();
  if (ctx) headers.set(REQUEST_ID_HEADER, ctx.requestId);
  return fetch(target.base + path, {
    method,
    headers,
    body: init.body,
    redirect: "manual",
    signal: AbortSignal.timeout(init.timeoutMs),
    dispatcher: init.ownConnection || !IDEMPOTENT.has(method) ? fresh : pooled,
  });
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
  const target = backendTarget();
  const method = opts.method ?? "GET";
  const send = (ownConnection: boolean) =>
    backendFetch(target, opts.path, {
      method,
      headers: opts.body !== undefined ? { "Content-Type": "application/json" } : {},
      body: opts.body,
      timeoutMs: opts.timeoutMs ?? TIMEOUT_MS.default,
      ownConnection,
    });
  const route = currentRequestContext()?.route ?? "other";
  const timer = metrics().upstreamDuration.startTimer({ route });
  let upstream: BackendResponse;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        upstream = await send(attempt > 0);
        break;
      } catch (err) {
        const pause = resendAfter(err, method, attempt);
        if (pause === null) throw err;
        metrics().upstreamRetries.inc({ route });
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  } catch (err) {
    timer();
    const { status, detail } = describeFetchError(err, target.base);
    return jsonError(status, detail);
  }
  if (upstream.status === 204) {
    timer();
    return new Response(null, { status: 204 });
  }

  let text: string;
  try {
    text = await upstream.text();
  } finally {
    timer();
  }
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
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  // The backend's Allow (on its 405) and Retry-After (on 429/503) tell the client what to do.
  for (const name of ["Allow", "Retry-After"]) {
    const value = upstream.headers.get(name);
    if (value) headers[name] = value;
  }
  return NextResponse.json(data, { status: upstream.status, headers });
}

/** Probes the backend's /readyz for the status endpoint (and the deployment check). */
export async function probeBackend(): Promise<{ reachable: boolean; ready: boolean; detail: string }> {
  const target = backendTarget();
  const timer = metrics().upstreamDuration.startTimer({ route: currentRequestContext()?.route ?? "other" });
  try {
    const res = await backendFetch(target, "/readyz", { timeoutMs: TIMEOUT_MS.probe }).finally(() => timer());
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
    return { reachable: true, ready, detail };
  } catch (err) {
    return { reachable: false, ready: false, detail: describeFetchError(err, target.base).detail };
  }
}
