// Server-side only: what the proxy knows about the request it is serving (its id and route
// template), carried through async calls so proxyToBackend can forward the id and label its
// metrics without every route handler passing them along.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

export const REQUEST_ID_HEADER = "X-Request-ID";

// The same rule as the backend: short, printable, no spaces or quotes, so an id can go into
// a log line or a header without escaping and cannot forge another log line.
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's id when it is well formed, else a fresh uuid4 (a bad one is dropped, not echoed). */
export function requestIdFrom(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER);
  return given !== null && WELL_FORMED_ID.test(given) ? given : randomUUID();
}

// Route templates, never raw paths: a metric label per todo id would grow without bound.
const TEMPLATES: ReadonlyArray<[RegExp, string]> = [
  [/^\/api\/todos\/?$/, "/api/todos"],
  [/^\/api\/todos\/[^/]+\/?$/, "/api/todos/{id}"],
  [/^\/api\/chat\/?$/, "/api/chat"],
  [/^\/api\/chat\/conversations\/[^/]+\/?$/, "/api/chat/conversations/{id}"],
  [/^\/api\/assistant\/?$/, "/api/assistant"],
  [/^\/api\/healthz\/?$/, "/api/healthz"],
  [/^\/api\/status\/?$/, "/api/status"],
];

/** The route template of an /api path; "other" for anything not listed (bounded labels). */
export function routeTemplate(pathname: string): string {
  for (const [pattern, template] of TEMPLATES) if (pattern.test(pathname)) return template;
  return "other";
}

export interface RequestContext {
  requestId: string;
  route: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The context of the request being served, if any (a direct call from a test has none). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
