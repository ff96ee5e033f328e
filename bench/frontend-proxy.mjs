// Latency the /api proxy adds: N sequential GET /api/todos through the Next.js production
// server vs. straight to a stand-in backend (a fixed 20-todo page, so only the proxy's
// overhead differs). Loopback only, bounded count. Usage: node bench-proxy.mjs FRONTEND_URL BACKEND_PORT
import { createServer } from "node:http";

const [frontend, backendPort] = process.argv.slice(2);
const N = Number(process.env.BENCH_REQUESTS ?? 300);
const items = Array.from({ length: 20 }, (_, i) => ({
  id: i + 1, title: `Todo ${i + 1}`, notes: "", due_date: null, priority: "medium", done: false,
  created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
}));
const page = JSON.stringify({ items, total: 20, limit: 50, offset: 0 });
const server = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(page);
});
await new Promise((r) => server.listen(Number(backendPort), "127.0.0.1", r));

async function measure(url) {
  for (let i = 0; i < 20; i++) await (await fetch(url)).arrayBuffer(); // warm-up
  const ms = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
  return { p50: q(0.5), p95: q(0.95), rps: (N / (ms.reduce((a, b) => a + b, 0) / 1000)).toFixed(0) };
}

const direct = await measure(`http://127.0.0.1:${backendPort}/api/todos?status=all&limit=50`);
const proxied = await measure(`${frontend}/api/todos?status=all&limit=50`);
const health = await measure(`${frontend}/api/healthz`);
server.close();
console.log(`| path (${N} sequential requests) | p50 ms | p95 ms | req/s |`);
console.log("| --- | ---: | ---: | ---: |");
console.log(`| stand-in backend, direct | ${direct.p50} | ${direct.p95} | ${direct.rps} |`);
console.log(`| GET /api/todos through the Next.js proxy | ${proxied.p50} | ${proxied.p95} | ${proxied.rps} |`);
console.log(`| GET /api/healthz (no backend call) | ${health.p50} | ${health.p95} | ${health.rps} |`);
