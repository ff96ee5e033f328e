// Which assistant the backend runs: {"mode": "gemini"|"offline", "model": str|null}.
import { proxyToBackend } from "@/lib/backend";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  return proxyToBackend({ path: "/api/assistant" });
}
