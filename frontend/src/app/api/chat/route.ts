// One chat turn with the assistant; it may create, change or delete todos.
import { TIMEOUT_MS, proxyToBackend, readJsonBody } from "@/lib/backend";

export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  const body = await readJsonBody(req);
  if (body instanceof Response) return body;
  return proxyToBackend({ method: "POST", path: "/api/chat", body, timeoutMs: TIMEOUT_MS.chat });
}
