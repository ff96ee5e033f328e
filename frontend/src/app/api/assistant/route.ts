// Which assistant the backend runs: {"mode": "gemini"|"offline", "model": str|null}.
import { apiRoute } from "@/lib/api-route";
import { proxyToBackend } from "@/lib/backend";

export const dynamic = "force-dynamic";

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({
  GET: () => proxyToBackend({ path: "/api/assistant" }),
});
