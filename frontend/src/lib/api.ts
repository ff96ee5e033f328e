// The browser's client for the app's own /api/* route handlers (never the backend itself).
import { ApiError, fallbackMessage, formatDetail } from "./errors";
import type { AssistantInfo, ChatReply, Conversation, NewTodo, StatusFilter, Todo, TodoPage, TodoPatch, TodoReplace } from "./types";

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      headers: { Accept: "application/json", ...(init.body ? { "Content-Type": "application/json" } : {}) },
      cache: "no-store",
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "Cannot reach the app server. Check your connection and try again.");
  }
  if (res.status === 204) return undefined as T;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Handled below: an OK answer must be JSON, an error falls back to a generic sentence.
  }
  if (!res.ok) {
    const detail = formatDetail((body as { detail?: unknown } | null)?.detail);
    throw new ApiError(res.status, detail ?? fallbackMessage(res.status));
  }
  if (body === null) throw new ApiError(res.status, "The server sent an empty or unreadable answer.");
  return body as T;
}

export interface ListQuery {
  status: StatusFilter;
  q: string;
  limit: number;
  offset?: number;
}

export function listTodos(query: ListQuery, signal?: AbortSignal): Promise<TodoPage> {
  const params = new URLSearchParams({ status: query.status, limit: String(query.limit) });
  if (query.q.trim()) params.set("q", query.q.trim());
  if (query.offset) params.set("offset", String(query.offset));
  return request<TodoPage>(`/api/todos?${params}`, { signal });
}

export function createTodo(todo: NewTodo): Promise<Todo> {
  return request<Todo>("/api/todos", { method: "POST", body: JSON.stringify(todo) });
}

export function updateTodo(id: number, patch: TodoPatch): Promise<Todo> {
  return request<Todo>(`/api/todos/${id}`, { method: "PATCH", body: JSON.stringify(patch) });
}

/** Puts a todo back exactly as it was (same id and place in the list), e.g. after a delete. */
export function restoreTodo(todo: Todo): Promise<Todo> {
  const { title, notes, due_date, priority, done } = todo;
  const body: TodoReplace = { title, notes, due_date, priority, done };
  return request<Todo>(`/api/todos/${todo.id}`, { method: "PUT", body: JSON.stringify(body) });
}

export function deleteTodo(id: number): Promise<void> {
  return request<void>(`/api/todos/${id}`, { method: "DELETE" });
}

export function sendChat(message: string, conversationId: string | null): Promise<ChatReply> {
  const body = conversationId ? { message, conversation_id: conversationId } : { message };
  return request<ChatReply>("/api/chat", { method: "POST", body: JSON.stringify(body) });
}

export function getConversation(id: string): Promise<Conversation> {
  return request<Conversation>(`/api/chat/conversations/${encodeURIComponent(id)}`);
}

export function getAssistant(): Promise<AssistantInfo> {
  return request<AssistantInfo>("/api/assistant");
}
