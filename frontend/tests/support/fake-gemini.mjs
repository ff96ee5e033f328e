// A stand-in for the Gemini API that answers every call with 429 RESOURCE_EXHAUSTED, the
// way Google does when a key is rate limited. The e2e run points a second backend at it
// (GEMINI_BASE_URL) to check the Gemini badge and a readable rate-limit message end to end.
// Loopback only. Usage: node fake-gemini.mjs PORT
import { createServer } from "node:http";

const port = Number(process.argv[2]);
createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(429, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED" } }));
  });
}).listen(port, "127.0.0.1");
