// One todo: GET, PATCH (any subset of fields), PUT (all fields: also brings a deleted todo
// back, which is how Undo works), DELETE.
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

async function withBody(method: "PATCH" | "PUT", req: Request, ctx: Context): Promise<Response> {
  const path = await todoPath(ctx);
  if (path instanceof Response) return path;
  const body = await readJsonBody(req);
  if (body instanceof Response) return body;
  return proxyToBackend({ method, path, body });
}

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute<Context>({
  GET: async (_req, ctx) => {
    const path = await todoPath(ctx);
    if (path instanceof Response) return path;
    return proxyToBackend({ path });
  },
  PATCH: (req, ctx) => withBody("PATCH", req, ctx),
  PUT: (req, ctx) => withBody("PUT", req, ctx),
  DELETE: async (_req, ctx) => {
    const path = await todoPath(ctx);
    if (path instanceof Response) return path;
    return proxyToBackend({ method: "DELETE", path });
  },
});
