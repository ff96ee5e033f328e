// Pure list logic the UI relies on: which todos belong in the current view and how a
// change (from the list or from the assistant) updates the visible list without a reload.
import type { ChatAction, StatusFilter, Todo } from "./types";

export const TITLE_MAX = 200;
export const MESSAGE_MAX = 2000;

export interface View {
  status: StatusFilter;
  q: string;
}

/** Mirrors the backend's filter: status, and a case-insensitive substring of title or notes. */
export function matchesView(todo: Todo, view: View): boolean {
  if (view.status === "active" && todo.done) return false;
  if (view.status === "done" && !todo.done) return false;
  const q = view.q.trim().toLowerCase();
  if (!q) return true;
  return todo.title.toLowerCase().includes(q) || todo.notes.toLowerCase().includes(q);
}

/** Newest first, like the backend (ties broken by the higher id). */
export function compareNewestFirst(a: Todo, b: Todo): number {
  const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
  return byTime !== 0 && !Number.isNaN(byTime) ? byTime : b.id - a.id;
}

export interface ListState {
  items: Todo[];
  total: number;
}

/** Puts a new or changed todo into the list, or takes it out when it left the view. */
export function upsertTodo(state: ListState, todo: Todo, view: View): ListState {
  const present = state.items.some((t) => t.id === todo.id);
  const belongs = matchesView(todo, view);
  if (present && belongs) {
    return { ...state, items: state.items.map((t) => (t.id === todo.id ? todo : t)) };
  }
  if (present && !belongs) {
    return { items: state.items.filter((t) => t.id !== todo.id), total: Math.max(0, state.total - 1) };
  }
  if (!present && belongs) {
    return { items: [...state.items, todo].sort(compareNewestFirst), total: state.total + 1 };
  }
  return state;
}

export function removeTodo(state: ListState, id: number): ListState {
  if (!state.items.some((t) => t.id === id)) return state;
  return { items: state.items.filter((t) => t.id !== id), total: Math.max(0, state.total - 1) };
}

/**
 * Applies the assistant's actions to the visible list. Returns the new state and whether
 * the list should also be re-fetched (an action named a todo without sending it).
 */
export function applyChatActions(state: ListState, actions: ChatAction[], view: View): { state: ListState; refetch: boolean } {
  let next = state;
  let refetch = false;
  for (const action of actions) {
    if (action.type === "listed") continue;
    if (action.type === "deleted") {
      const id = action.todo_id ?? action.todo?.id;
      if (id === undefined) refetch = true;
      else next = removeTodo(next, id);
      continue;
    }
    if (action.todo) next = upsertTodo(next, action.todo, view);
    else refetch = true;
  }
  return { state: next, refetch };
}

/** Whether any action changed data (so the list may be stale). */
export function changesTodos(actions: ChatAction[]): boolean {
  return actions.some((a) => a.type !== "listed");
}

/** "Due today", "Due tomorrow", "Overdue · 3 Mar", "Due 12 Apr": short, for the item row. */
export function describeDue(due: string | null, today: Date = new Date()): { text: string; overdue: boolean } | null {
  if (!due) return null;
  const [y, m, d] = due.split("-").map(Number);
  if (!y || !m || !d) return null;
  const dueDay = Date.UTC(y, m - 1, d);
  const todayDay = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  const days = Math.round((dueDay - todayDay) / 86_400_000);
  const label = new Date(dueDay).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  if (days === 0) return { text: "Due today", overdue: false };
  if (days === 1) return { text: "Due tomorrow", overdue: false };
  if (days < 0) return { text: `Overdue · ${label}`, overdue: true };
  return { text: `Due ${label}`, overdue: false };
}

/** Validates a title the way the backend does, with a message naming the fix. */
export function titleError(title: string): string | null {
  const t = title.trim();
  if (!t) return "Enter a title for the todo.";
  if (t.length > TITLE_MAX) return `Title is too long: ${t.length} characters, at most ${TITLE_MAX}.`;
  return null;
}
