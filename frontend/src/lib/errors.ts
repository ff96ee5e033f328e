// Turns whatever the backend (or the network) says into one readable sentence for the UI.

interface FieldError {
  loc?: unknown[];
  msg?: string;
}

/** Readable text for FastAPI's {"detail": ...}: a string, or a 422 list of field errors. */
export function formatDetail(detail: unknown): string | null {
  if (typeof detail === "string" && detail.trim()) return detail.trim();
  if (Array.isArray(detail) && detail.length > 0) {
    const parts = (detail as FieldError[]).map((e) => {
      // loc is like ["body", "title"]; the first element only says where the field lives.
      const loc = Array.isArray(e?.loc) ? e.loc.filter((p) => p !== "body" && p !== "query" && p !== "path") : [];
      const field = loc.join(".");
      const msg = typeof e?.msg === "string" ? e.msg : "is invalid";
      return field ? `${field}: ${msg}` : msg;
    });
    return parts.join("; ");
  }
  return null;
}

/** What to say when the server gave no usable detail. */
export function fallbackMessage(status: number): string {
  switch (status) {
    case 400:
    case 422:
      return "The request was not valid. Check the fields and try again.";
    case 404:
      return "That item no longer exists. It may have been deleted elsewhere.";
    case 413:
      return "That is too long. Shorten it and try again.";
    case 429:
      return "The assistant is receiving too many requests. Wait a few seconds and try again.";
    case 502:
      return "The backend is unreachable or returned an unexpected answer.";
    case 503:
      return "The backend is not ready yet (is its database up?). Try again shortly.";
    case 504:
      return "The backend took too long to answer. Try again in a moment.";
    default:
      return status >= 500 ? `The server had a problem (HTTP ${status}). Try again.` : `Request failed (HTTP ${status}).`;
  }
}

/** An error from an /api/* call, carrying the HTTP status (0 when the request never completed). */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return "Something went wrong. Try again.";
}
