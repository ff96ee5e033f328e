// GET lists todos (status/q/limit/offset pass through), POST creates one.
import { apiRoute } from "@/lib/api-route";
import { proxyToBackend } from "@/lib/backend";
import { readJsonBody } from "@/lib/request-body";

export const dynamic = "force-dynamic";

const LIST_PARAMS = ["status", "q", "limit", "offset"] as const;

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({
  GET: (req) => {
    // A query that is not UTF-8 never gets here (scripts/request-guard.mjs: 400).
    const incoming = new URL(req.url).searchParams;
    const query = new URLSearchParams();
    for (const key of LIST_PARAMS) {
      const value = incoming.get(key);
      if (value !== null && value !== "") query.set(key, value);
    }
    const qs = query.toString();
    return proxyToBackend({ path: "/api/todos" + (qs ? `?${qs}` : "") });
  },
  POST: async (req) => {
    const body = await readJsonBody(req);
    if (body instanceof Response) return body;
    return proxyToBackend({ method: "POST", path: "/api/todos", body });
  },
});
