// Server-side only: reads a request's JSON body for forwarding, with a hard size cap.
import { jsonError } from "./backend";

// Requests the UI sends are tiny; refuse anything absurd before forwarding it.
export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge = () =>
  // Connection: close lets Node stop reading the rest of the upload once this answer is out.
  jsonError(413, `Request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`, { Connection: "close" });

/**
 * Streams the body and stops reading at MAX_BODY_BYTES (413), so a huge or endless upload
 * costs at most that much memory. The bytes must be UTF-8 (400, never a "\ufffd" in the
 * data) holding a JSON object (400). Returns the body text or an error Response.
 */
export async function readJsonBody(req: Request): Promise<string | Response> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > MAX_BODY_BYTES) return tooLarge();

  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        // Stop pulling: what is not read is never buffered. (cancel() would reset the
        // connection before the 413 goes out.)
        reader.releaseLock();
        return tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return jsonError(400, "Request body is not valid UTF-8: send the JSON as UTF-8 text.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return jsonError(400, 'Request body must be JSON, e.g. {"title": "Buy milk"}.');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return jsonError(400, "Request body must be a JSON object.");
  }
  return text;
}
