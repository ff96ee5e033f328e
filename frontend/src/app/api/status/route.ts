// Frontend-to-backend connectivity in one request: 200 when the backend is reachable and
// ready (its /readyz, which checks the database), else 503 with the reason.
import { NextResponse } from "next/server";
import { probeBackend } from "@/lib/backend";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const backend = await probeBackend();
  return NextResponse.json(
    { frontend: "ok", backend },
    { status: backend.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
