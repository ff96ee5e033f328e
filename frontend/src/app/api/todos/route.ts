// GET lists todos (status/q/limit/offset pass through), POST creates one.
import { apiRoute } from "@/lib/api-route";
import { jsonError, proxyToBackend } from "@/lib/backend";
import { readJsonBody } from "@/lib/request-body";
import { strictQuery } from "@/lib/query";

export const dynamic = "force-dynamic";

const LIST_PARAMS = ["status", "q", "limit", "offset"] as const;

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({
  GET: (req) => {
    const incoming = strictQuery(req.url);
    if (typeof incoming === "string") return jsonError(400, incoming);
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
