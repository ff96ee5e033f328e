// One chat turn with the assistant; it may create, change or delete todos.
import { apiRoute } from "@/lib/api-route";
import { TIMEOUT_MS, proxyToBackend } from "@/lib/backend";
import { readJsonBody } from "@/lib/request-body";

export const dynamic = "force-dynamic";

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({
  POST: async (req) => {
    const body = await readJsonBody(req);
    if (body instanceof Response) return body;
    return proxyToBackend({ method: "POST", path: "/api/chat", body, timeoutMs: TIMEOUT_MS.chat });
  },
});
