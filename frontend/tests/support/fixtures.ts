import type { Todo } from "@/lib/types";

let nextId = 1;

/** A Todo as the backend returns it; later ids are newer. */
export function todo(over: Partial<Todo> = {}): Todo {
  const id = over.id ?? nextId++;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString();
  return {
    id,
    title: `Todo ${id}`,
    notes: "",
    due_date: null,
    priority: "medium",
    done: false,
    created_at: at,
    updated_at: at,
    ...over,
  };
}
