// A stored conversation's latest messages, oldest first: what the chat shows after a reload.
import { apiRoute } from "@/lib/api-route";
import { jsonError, proxyToBackend } from "@/lib/backend";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute<Context>({
  GET: async (_req, ctx) => {
    const { id } = await ctx.params;
    if (!UUID.test(id)) {
      return jsonError(400, `Conversation id must be the UUID POST /api/chat returned, got "${id.slice(0, 40)}".`);
    }
    return proxyToBackend({ path: `/api/chat/conversations/${id}` });
  },
});
