// An in-memory stand-in for the app's /api/* endpoints, installed as window.fetch for
// component tests. It behaves like the backend contract (newest first, filters, 404s).
import { vi } from "vitest";
import type { ChatReply, ConversationMessage, Todo } from "@/lib/types";

export interface FakeApi {
  todos: Todo[];
  calls: string[];
  /** When set, every request answers with this status and detail. */
  failWith: { status: number; detail: string } | null;
  chat: (message: string) => { status: number; body: unknown };
  assistant: { mode: "gemini" | "offline"; model: string | null };
  /** Deleted todos, soft as on the backend: a PUT brings one back. */
  deleted: Todo[];
  /** Stored conversations by id, as GET /api/chat/conversations/{id} returns them. */
  conversations: Record<string, ConversationMessage[]>;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

export function installFakeApi(initial: Todo[] = []): FakeApi {
  let nextId = 100;
  const api: FakeApi = {
    todos: [...initial],
    calls: [],
    failWith: null,
    assistant: { mode: "offline", model: null },
    chat: () => ({ status: 200, body: { reply: "ok", conversation_id: "c1", actions: [], mode: "offline" } }),
    deleted: [],
    conversations: {},
  };
  const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, nextId)).toISOString();

  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input), "http://app.test");
      const method = init?.method ?? "GET";
      api.calls.push(`${method} ${url.pathname}${url.search}`);
      if (api.failWith) return json(api.failWith.status, { detail: api.failWith.detail });
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      const idMatch = url.pathname.match(/^\/api\/todos\/(\d+)$/);

      if (url.pathname === "/api/assistant") return json(200, api.assistant);
      if (url.pathname === "/api/chat") {
        const { status, body: out } = api.chat(body.message);
        if (status === 200) {
          const reply = out as ChatReply;
          for (const a of reply.actions) {
            if (a.type === "created" && a.todo) api.todos.unshift(a.todo);
          }
          const stored = (api.conversations[reply.conversation_id] ??= []);
          const at = now();
          stored.push({ role: "user", content: body.message, created_at: at }, { role: "assistant", content: reply.reply, created_at: at });
        }
        return json(status, out);
      }
      const conversation = url.pathname.match(/^\/api\/chat\/conversations\/(.+)$/);
      if (conversation) {
        const messages = api.conversations[conversation[1]!];
        return messages ? json(200, { id: conversation[1], messages }) : json(404, { detail: "Conversation not found" });
      }
      if (url.pathname === "/api/todos" && method === "GET") {
        const status = url.searchParams.get("status") ?? "all";
        const q = (url.searchParams.get("q") ?? "").toLowerCase();
        const items = api.todos
          .filter((t) => (status === "active" ? !t.done : status === "done" ? t.done : true))
          .filter((t) => !q || t.title.toLowerCase().includes(q));
        return json(200, { items, total: items.length, limit: 50, offset: 0 });
      }
      if (url.pathname === "/api/todos" && method === "POST") {
        const t: Todo = {
          id: nextId++,
          title: body.title,
          notes: body.notes ?? "",
          due_date: body.due_date ?? null,
          priority: body.priority ?? "medium",
          done: false,
          created_at: now(),
          updated_at: now(),
        };
        api.todos.unshift(t);
        return json(201, t);
      }
      if (idMatch) {
        const id = Number(idMatch[1]);
        const i = api.todos.findIndex((t) => t.id === id);
        const d = api.deleted.findIndex((t) => t.id === id);
        if (method === "PUT" && d >= 0) {
          const [back] = api.deleted.splice(d, 1);
          api.todos.push({ ...back!, ...body });
          api.todos.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
          return json(200, api.todos.find((t) => t.id === id));
        }
        if (i < 0) return json(404, { detail: `Todo ${id} not found` });
        if (method === "DELETE") {
          api.deleted.push(...api.todos.splice(i, 1));
          return new Response(null, { status: 204 });
        }
        if (method === "PATCH" || method === "PUT") {
          api.todos[i] = { ...api.todos[i]!, ...body, updated_at: now() };
          return json(200, api.todos[i]);
        }
        return json(200, api.todos[i]);
      }
      return json(404, { detail: "Not Found" });
    }),
  );
  return api;
}
