// Server-side only: is a state-changing request from one of this app's own pages?
//
// Modelled on Go 1.25's net/http CrossOriginProtection: browsers send Sec-Fetch-Site on
// every request (Chrome 76, Firefox 90, Safari 16.4 on); "same-origin" and "none" (typed
// by the user) pass, anything else ("same-site": another port on the same host counts;
// "cross-site") is refused. Without that header, Origin must name this host; a request
// with neither header is not from a browser page (curl, scripts) and passes.

export type CrossSiteVerdict = { ok: true } | { ok: false; why: string };

export function checkSameOrigin(req: Request): CrossSiteVerdict {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null) {
    return site === "same-origin" || site === "none" ? { ok: true } : { ok: false, why: `Sec-Fetch-Site: ${site}` };
  }
  const origin = req.headers.get("origin");
  if (origin === null) return { ok: true };
  const host = req.headers.get("host") ?? new URL(req.url).host;
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // "null" (a sandboxed frame, a file: page) and garbage are foreign by definition.
  }
  return originHost !== null && originHost === host ? { ok: true } : { ok: false, why: `Origin: ${origin.slice(0, 100)}` };
}
