// Frontend-to-backend connectivity in one request: 200 when the backend is reachable and
// ready (its /readyz, which checks the database), else 503 with the reason. It names no
// internal address: the server log does, for operators.
import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api-route";
import { probeBackend } from "@/lib/backend";

export const dynamic = "force-dynamic";

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({
  GET: async () => {
    const backend = await probeBackend();
    return NextResponse.json(
      { frontend: "ok", backend },
      { status: backend.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
    );
  },
});
