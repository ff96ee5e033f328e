// The HTTP methods this server answers, and the one guard that runs before Next.js sees a
// request. Plain ESM: the standalone server imports it at start (scripts/start-standalone.mjs)
// and the route handlers import it through the bundler (src/lib/api-route.ts).

/** The methods a Next.js route handler can be called with (next/dist/server/web/http). */
export const ROUTE_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/**
 * Carries a method Next.js cannot dispatch to the route's OPTIONS handler, which answers
 * 405 with that route's Allow. Set only by the guard below: a client's copy is dropped.
 */
export const REFUSED_METHOD_HEADER = "x-todo-refused-method";

/**
 * Wraps Node's request listener. Next.js builds a WHATWG Request for every route handler
 * call, and fetch forbids TRACE/TRACK (a 500 HTML page) while other methods Node accepts
 * (PROPFIND, PURGE, ...) get an empty 400. Such a request becomes an OPTIONS carrying the
 * original method in REFUSED_METHOD_HEADER, so the route (or page) answers a proper 405
 * with its own Allow. Nothing else is touched.
 */
export function guardMethods(listener) {
  return function guardedListener(req, res) {
    delete req.headers[REFUSED_METHOD_HEADER];
    if (!ROUTE_METHODS.includes(req.method)) {
      req.headers[REFUSED_METHOD_HEADER] = req.method;
      req.method = "OPTIONS";
    }
    return listener.call(this, req, res);
  };
}
