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

// The browser keeps only the id of its conversation; the server keeps the messages.
const CONVERSATION_KEY = "todo-chatbot.conversation";

/** localStorage may be missing or refuse (private modes, storage full): then nothing is kept. */
export function loadConversationId(): string | null {
  try {
    return window.localStorage.getItem(CONVERSATION_KEY);
  } catch {
    return null;
  }
}

export function saveConversationId(id: string): void {
  try {
    window.localStorage.setItem(CONVERSATION_KEY, id);
  } catch {
    // Not kept: a reload starts a new conversation, as before.
  }
}

export function forgetConversationId(): void {
  try {
    window.localStorage.removeItem(CONVERSATION_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}
