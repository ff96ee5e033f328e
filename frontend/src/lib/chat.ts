// Chat transcript helpers: what the UI shows for each message and each assistant action.
import type { ChatAction } from "./types";

export type ChatRole = "user" | "assistant" | "error";

export interface ChatMessage {
  id: number;
  role: ChatRole;
  text: string;
  /** Short notes of what the assistant changed, shown under its reply. */
  notes?: string[];
}

/** "Added “Buy milk”" and the like; null for actions that change nothing (listed). */
export function describeAction(action: ChatAction): string | null {
  const name = action.todo ? `“${action.todo.title}”` : action.todo_id !== undefined ? `todo #${action.todo_id}` : "a todo";
  switch (action.type) {
    case "created":
      return `Added ${name}`;
    case "updated":
      return `Updated ${name}`;
    case "completed":
      return `Completed ${name}`;
    case "deleted":
      return `Deleted ${name}`;
    default:
      return null;
  }
}

export function actionNotes(actions: ChatAction[]): string[] {
  return actions.map(describeAction).filter((n): n is string => n !== null);
}

export const SUGGESTIONS = ["Add buy milk tomorrow", "What's on my list?", "Mark buy milk as done"];
