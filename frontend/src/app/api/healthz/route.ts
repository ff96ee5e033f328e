// Liveness: answers as long as the Next.js server runs; deliberately checks nothing else,
// so a backend outage never restarts the frontend pods.
import { NextResponse } from "next/server";

export const dynamic = "force-dynamic";

export function GET(): Response {
  return NextResponse.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
}
