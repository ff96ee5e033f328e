// The browser-side client: how each kind of failure becomes a readable ApiError.
import { describe, expect, it, vi } from "vitest";
import { createTodo, deleteTodo, listTodos, sendChat } from "@/lib/api";
import { describeAction, actionNotes } from "@/lib/chat";
import { ApiError, errorMessage, fallbackMessage, formatDetail } from "@/lib/errors";
import { todo } from "../support/fixtures";

function stubFetch(impl: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const fn = vi.fn(async (url: string | URL | Request, init?: RequestInit) => impl(String(url), init));
  vi.stubGlobal("fetch", fn);
  return fn;
}
const jsonResponse = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

async function caught(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe("formatDetail", () => {
  it("keeps a string detail", () => {
    expect(formatDetail("Todo 42 not found")).toBe("Todo 42 not found");
  });
  it("names each invalid field of a 422", () => {
    expect(
      formatDetail([
        { loc: ["body", "title"], msg: "String should have at most 200 characters" },
        { loc: ["body", "priority"], msg: "Input should be 'low', 'medium' or 'high'" },
      ]),
    ).toBe("title: String should have at most 200 characters; priority: Input should be 'low', 'medium' or 'high'");
  });
  it("returns null for nothing usable", () => {
    expect(formatDetail(undefined)).toBeNull();
    expect(formatDetail("  ")).toBeNull();
    expect(formatDetail([])).toBeNull();
  });
  it("has a sentence for every status", () => {
    expect(fallbackMessage(429)).toMatch(/too many requests/);
    expect(fallbackMessage(503)).toMatch(/not ready/);
    expect(fallbackMessage(500)).toMatch(/HTTP 500/);
    expect(fallbackMessage(418)).toBe("Request failed (HTTP 418).");
  });
});

describe("api client", () => {
  it("builds the list query", async () => {
    const fetchMock = stubFetch(() => jsonResponse(200, { items: [], total: 0, limit: 50, offset: 0 }));
    await listTodos({ status: "active", q: "  milk ", limit: 50, offset: 50 });
    expect(fetchMock.mock.calls[0]?.[0]).toBe("/api/todos?status=active&limit=50&q=milk&offset=50");
  });

  it("sends JSON and returns the created todo", async () => {
    const t = todo({ title: "Buy milk" });
    const fetchMock = stubFetch(() => jsonResponse(201, t));
    await expect(createTodo({ title: "Buy milk" })).resolves.toEqual(t);
    const init = fetchMock.mock.calls[0]?.[1];
    expect(init?.method).toBe("POST");
    expect(init?.body).toBe('{"title":"Buy milk"}');
    expect((init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("resolves a 204 delete", async () => {
    stubFetch(() => new Response(null, { status: 204 }));
    await expect(deleteTodo(3)).resolves.toBeUndefined();
  });

  it("turns a 422 into a message naming the field", async () => {
    stubFetch(() => jsonResponse(422, { detail: [{ loc: ["body", "title"], msg: "Field required" }] }));
    const err = await caught(createTodo({ title: "" }));
    expect(err.status).toBe(422);
    expect(err.message).toBe("title: Field required");
  });

  it("shows the proxy's backend-down message", async () => {
    stubFetch(() => jsonResponse(502, { detail: "The backend at http://b:8000 is unreachable (connection refused: is the backend running?)." }));
    const err = await caught(listTodos({ status: "all", q: "", limit: 50 }));
    expect(err.message).toMatch(/unreachable/);
  });

  it("falls back to a sentence when an error has no JSON body", async () => {
    stubFetch(() => new Response("<html>Bad gateway</html>", { status: 504 }));
    const err = await caught(sendChat("hi", null));
    expect(err.message).toBe("The backend took too long to answer. Try again in a moment.");
  });

  it("says the app server is unreachable when fetch itself fails", async () => {
    stubFetch(() => {
      throw new TypeError("Failed to fetch");
    });
    const err = await caught(listTodos({ status: "all", q: "", limit: 50 }));
    expect(err.status).toBe(0);
    expect(errorMessage(err)).toMatch(/Cannot reach the app server/);
  });

  it("rejects an OK answer that is not JSON", async () => {
    stubFetch(() => new Response("", { status: 200 }));
    const err = await caught(listTodos({ status: "all", q: "", limit: 50 }));
    expect(err.message).toMatch(/empty or unreadable/);
  });

  it("continues a conversation by id", async () => {
    const fetchMock = stubFetch(() => jsonResponse(200, { reply: "ok", conversation_id: "c9", actions: [], mode: "offline" }));
    await sendChat("and another", "c9");
    expect(fetchMock.mock.calls[0]?.[1]?.body).toBe('{"message":"and another","conversation_id":"c9"}');
  });
});

describe("chat action notes", () => {
  it("describes what the assistant changed and skips listings", () => {
    const t = todo({ title: "Buy milk" });
    expect(describeAction({ type: "created", todo: t })).toBe("Added “Buy milk”");
    expect(describeAction({ type: "deleted", todo_id: 4 })).toBe("Deleted todo #4");
    expect(actionNotes([{ type: "listed" }, { type: "completed", todo: t }])).toEqual(["Completed “Buy milk”"]);
  });
});
