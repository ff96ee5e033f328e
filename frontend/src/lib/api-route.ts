// Server-side only: the one wrapper every /api/* route handler is built with, so the rules
// below hold for every route, including routes added later (tests/unit/api-routes.test.ts
// checks that each route file uses it):
//  - methods: the route's own list; anything else is a JSON 405 with Allow, and OPTIONS
//    answers 204 with the same Allow (HEAD follows GET);
//  - state-changing methods (POST, PUT, PATCH, DELETE) only from this app's own pages
//    (403 otherwise) and only with a JSON body (415 otherwise);
//  - an unexpected error is a JSON 500, never an HTML page;
//  - every answer carries an X-Request-ID (the client's well-formed one, else a new uuid4)
//    that proxyToBackend forwards to the backend, is counted in
//    todo_frontend_proxy_requests_total{route,status} and logged as one line.
// Not a Next.js middleware on purpose: with a middleware, Next tees every request body into
// memory (up to experimental.middlewareClientMaxBodySize) before any route sees it.
import { REFUSED_METHOD_HEADER } from "../../scripts/request-guard.mjs";
import { jsonError } from "./backend";
import { checkSameOrigin } from "./cross-site";
import { log, logFormat } from "./log";
import { metrics } from "./metrics";
import { REQUEST_ID_HEADER, requestIdFrom, routeTemplate, runWithRequestContext } from "./request-context";

type Handler<C> = (req: Request, ctx: C) => Response | Promise<Response>;
type RouteHandler<C> = (req: Request, ctx: C) => Promise<Response>;
type Implementable = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type RouteMethod = Implementable | "HEAD" | "OPTIONS";
export type RouteHandlers<C> = Record<RouteMethod, RouteHandler<C>>;

const STATE_CHANGING: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const WITH_BODY: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

function isJson(contentType: string | null): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";
}

/** Whether the request carries a body at all (a DELETE normally does not). */
function hasBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  return req.headers.has("transfer-encoding") || (length !== null && length !== "0");
}

/** 403/415 for a state-changing request that is cross-site or not JSON; null when it may pass. */
function refuseUnsafe(req: Request): Response | null {
  const verdict = checkSameOrigin(req);
  if (!verdict.ok) {
    return jsonError(
      403,
      `Cross-site request refused (${verdict.why}): changes are accepted only from this app's own pages.`,
    );
  }
  if ((WITH_BODY.has(req.method) || hasBody(req)) && !isJson(req.headers.get("content-type"))) {
    const got = req.headers.get("content-type");
    return jsonError(
      415,
      `Content-Type must be application/json${got ? `, got "${got.slice(0, 100)}"` : " (none was sent)"}.`,
      { "Accept-Post": "application/json", "Accept-Patch": "application/json" },
    );
  }
  return null;
}

/** The answer with the request id header set (copied when its headers are immutable). */
function withRequestId(res: Response, requestId: string): Response {
  try {
    res.headers.set(REQUEST_ID_HEADER, requestId);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}

/** Runs a handler under its request id and route template; counts, logs and labels its answer. */
function observed<C>(handler: RouteHandler<C>): RouteHandler<C> {
  return async (req, ctx) => {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers);
    const route = routeTemplate(new URL(req.url).pathname);
    const res = withRequestId(await runWithRequestContext({ requestId, route }, () => handler(req, ctx)), requestId);
    const status = res.status;
    metrics().proxyRequests.inc({ route, status: String(status) });
    // An access line per request for log collectors; local text runs stay as quiet as before.
    if (logFormat() === "json") {
      log(status >= 500 ? "error" : "info", "frontend.access", `${req.method} ${route} ${status}`, {
        request_id: requestId,
        method: req.method,
        route,
        status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      });
    }
    return res;
  };
}

/**
 * Builds a route module's exports from the methods it implements:
 *   export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({ GET: ..., POST: ... });
 */
export function apiRoute<C = unknown>(handlers: Partial<Record<Implementable, Handler<C>>>): RouteHandlers<C> {
  const implemented = (Object.keys(handlers) as Implementable[]).filter((m) => handlers[m]);
  const allow = [...implemented, "OPTIONS", ...(handlers.GET ? ["HEAD"] : [])].sort().join(", ");

  const notAllowed = (method: string, path: string) =>
    jsonError(405, `Method ${method.slice(0, 20)} is not allowed on ${path}; use ${allow}.`, { Allow: allow });

  const wrap =
    (method: Implementable): RouteHandler<C> =>
    async (req, ctx) => {
      const handler = handlers[method];
      if (!handler) return notAllowed(req.method, new URL(req.url).pathname);
      if (STATE_CHANGING.has(method)) {
        const refused = refuseUnsafe(req);
        if (refused) return refused;
      }
      try {
        return await handler(req, ctx);
      } catch (err) {
        log("error", "frontend.api", `unexpected error in ${req.method} ${new URL(req.url).pathname}: ${String(err)}`, {
          stack: err instanceof Error ? err.stack : undefined,
        });
        return jsonError(500, "The app server had an unexpected problem. Try again.");
      }
    };

  const routes: RouteHandlers<C> = {
    GET: observed(wrap("GET")),
    POST: observed(wrap("POST")),
    PUT: observed(wrap("PUT")),
    PATCH: observed(wrap("PATCH")),
    DELETE: observed(wrap("DELETE")),
    HEAD: observed(async (req, ctx) =>
      handlers.GET ? wrap("GET")(req, ctx) : notAllowed("HEAD", new URL(req.url).pathname),
    ),
    OPTIONS: observed(async (req) => {
      const refusedMethod = req.headers.get(REFUSED_METHOD_HEADER);
      if (refusedMethod) return notAllowed(refusedMethod, new URL(req.url).pathname);
      return new Response(null, { status: 204, headers: { Allow: allow, "Cache-Control": "no-store" } });
    }),
  };
  return routes;
}
