// GET lists todos (status/q/limit/offset pass through), POST creates one.
import { proxyToBackend, readJsonBody } from "@/lib/backend";

export const dynamic = "force-dynamic";

const LIST_PARAMS = ["status", "q", "limit", "offset"] as const;

export async function GET(req: Request): Promise<Response> {
  const incoming = new URL(req.url).searchParams;
  const query = new URLSearchParams();
  for (const key of LIST_PARAMS) {
    const value = incoming.get(key);
    if (value !== null && value !== "") query.set(key, value);
  }
  const qs = query.toString();
  return proxyToBackend({ path: "/api/todos" + (qs ? `?${qs}` : "") });
}

export async function POST(req: Request): Promise<Response> {
  const body = await readJsonBody(req);
  if (body instanceof Response) return body;
  return proxyToBackend({ method: "POST", path: "/api/todos", body });
}
