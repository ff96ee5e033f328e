// The one guard that runs before Next.js sees a request: it refuses what Next would
// otherwise mangle. Plain ESM: the standalone server installs it at start
// (scripts/start-standalone.mjs) and the route handlers import its names through the
// bundler (src/lib/api-route.ts).

/** The methods a Next.js route handler can be called with (next/dist/server/web/http). */
export const ROUTE_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/**
 * Carries a method Next.js cannot dispatch to the route's OPTIONS handler, which answers
 * 405 with that route's Allow. Set only by the guard below: a client's copy is dropped.
 */
export const REFUSED_METHOD_HEADER = "x-todo-refused-method";

const decode = (s) => decodeURIComponent(s.replace(/\+/g, " "));

/**
 * A sentence naming the first query parameter whose percent-escapes are not UTF-8 (%FF, an
 * encoded surrogate), or null. Next.js re-encodes such bytes as U+FFFD before a route sees
 * the URL, so a search would quietly look for the wrong text.
 */
export function malformedQuery(rawUrl) {
  const q = rawUrl.indexOf("?");
  if (q < 0) return null;
  for (const pair of rawUrl.slice(q + 1).split("#")[0].split("&")) {
    const eq = pair.indexOf("=");
    const [key, value] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    let name;
    try {
      name = decode(key);
    } catch {
      return `A query parameter name is not valid percent-encoded UTF-8: "${key.slice(0, 40)}".`;
    }
    try {
      decode(value);
    } catch {
      return `Query parameter "${name.slice(0, 40)}" is not valid percent-encoded UTF-8; encode the text as UTF-8.`;
    }
  }
  return null;
}

/**
 * Wraps Node's request listener:
 *  - Next.js builds a WHATWG Request for every route handler call, and fetch forbids
 *    TRACE/TRACK (a 500 HTML page) while other methods Node accepts (PROPFIND, PURGE, ...)
 *    get an empty 400. Such a request becomes an OPTIONS carrying the original method in
 *    REFUSED_METHOD_HEADER, so the route (or page) answers a proper 405 with its own Allow.
 *  - A query that is not UTF-8 is a 400 naming the parameter.
 */
export function guardRequests(listener) {
  return function guardedListener(req, res) {
    delete req.headers[REFUSED_METHOD_HEADER];
    const badQuery = malformedQuery(req.url ?? "");
    if (badQuery) {
      res.writeHead(400, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ detail: badQuery }));
      return;
    }
    if (!ROUTE_METHODS.includes(req.method)) {
      req.headers[REFUSED_METHOD_HEADER] = req.method;
      req.method = "OPTIONS";
    }
    return listener.call(this, req, res);
  };
}
