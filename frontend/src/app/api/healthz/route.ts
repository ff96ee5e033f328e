// Liveness: answers as long as the Next.js server runs; deliberately checks nothing else,
// so a backend outage never restarts the frontend pods.
import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api-route";

export const dynamic = "force-dynamic";

export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = apiRoute({
  GET: () => NextResponse.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } }),
});
