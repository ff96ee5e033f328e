// One todo: GET, PATCH (any subset of fields), DELETE.
import { apiRoute } from "@/lib/api-route";
import { jsonError, proxyToBackend } from "@/lib/backend";
import { readJsonBody } from "@/lib/request-body";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** The backend path for a valid id, or a 400 naming the bad id. */
async function todoPath(ctx: Context): Promise<string | Response> {
  const { id } = await ctx.params;
  if (!/^[1-9]\d{0,17}$/.test(id)) {
    return jsonError(400, `Todo id must be a positive whole number, got "${id.slice(0, 40)}".`);
  }
  return `/api/todos/${id}`;
}

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute<Context>({
  GET: async (_req, ctx) => {
    const path = await todoPath(ctx);
    if (path instanceof Response) return path;
    return proxyToBackend({ path });
  },
  PATCH: async (req, ctx) => {
    const path = await todoPath(ctx);
    if (path instanceof Response) return path;
    const body = await readJsonBody(req);
    if (body instanceof Response) return body;
    return proxyToBackend({ method: "PATCH", path, body });
  },
  DELETE: async (_req, ctx) => {
    const path = await todoPath(ctx);
    if (path instanceof Response) return path;
    return proxyToBackend({ method: "DELETE", path });
  },
});
