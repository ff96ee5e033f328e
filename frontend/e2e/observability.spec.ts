// Metrics, request ids and JSON logs of the production server (`npm start`, as in the image),
// started by tests/run/frontend-e2e.sh with LOG_FORMAT=json and METRICS_PORT set: its log file
// and metrics URL come in E2E_FRONTEND_LOG and E2E_METRICS_URL.
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/run/frontend-e2e.sh`);
  return value;
}

async function sample(metricsUrl: string, series: string): Promise<number> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  const line = (await res.text()).split("\n").find((l) => l.startsWith(series + " "));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test("a proxied request moves the metrics, carries its id and is logged as one JSON line", async ({ request }) => {
  const metricsUrl = required("E2E_METRICS_URL");
  const logFile = required("E2E_FRONTEND_LOG");
  const counter = 'todo_frontend_proxy_requests_total{route="/api/todos",status="200"}';
  const upstream = 'todo_frontend_upstream_duration_seconds_count{route="/api/todos"}';
  const [countBefore, upstreamBefore] = [await sample(metricsUrl, counter), await sample(metricsUrl, upstream)];

  const id = `e2e-obs-${Date.now()}`;
  const res = await request.get("/api/todos?limit=1", { headers: { "X-Request-ID": id } });
  expect(res.status()).toBe(200);
  expect(res.headers()["x-request-id"]).toBe(id);

  expect(await sample(metricsUrl, counter)).toBe(countBefore + 1);
  expect(await sample(metricsUrl, upstream)).toBe(upstreamBefore + 1);

  const lines = readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim() !== "");
  const parsed = lines.map((line) => {
    const obj = JSON.parse(line) as Record<string, unknown>;
    for (const key of ["time", "level", "logger", "message"]) expect(obj, line).toHaveProperty(key);
    return obj;
  });
  expect(parsed.filter((l) => l.request_id === id)).toEqual([
    expect.objectContaining({ logger: "frontend.access", method: "GET", route: "/api/todos", status: 200 }),
  ]);
});

test("a request without an id gets a fresh one", async ({ request }) => {
  const res = await request.get("/api/healthz");
  expect(res.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
});

test("metrics are not served on the app port", async ({ request }) => {
  const res = await request.get("/metrics");
  expect(res.status()).toBe(404);
  expect(await res.text()).not.toContain("todo_frontend_proxy_requests_total");
});
