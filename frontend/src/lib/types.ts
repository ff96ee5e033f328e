// The backend's JSON shapes (see the shared API contract), as the browser sees them.
export type Priority = "low" | "medium" | "high";

export interface Todo {
  id: number;
  title: string;
  notes: string;
  due_date: string | null;
  priority: Priority;
  done: boolean;
  created_at: string;
  updated_at: string;
}

export interface TodoPage {
  items: Todo[];
  total: number;
  limit: number;
  offset: number;
}

export type StatusFilter = "all" | "active" | "done";

export interface NewTodo {
  title: string;
  notes?: string;
  due_date?: string | null;
  priority?: Priority;
}

export type TodoPatch = Partial<Pick<Todo, "title" | "notes" | "due_date" | "priority" | "done">>;

export type ChatActionType = "created" | "updated" | "completed" | "deleted" | "listed";

export interface ChatAction {
  type: ChatActionType;
  todo_id?: number;
  todo?: Todo;
}

export type AssistantMode = "gemini" | "offline";

export interface ChatReply {
  reply: string;
  conversation_id: string;
  actions: ChatAction[];
  mode: AssistantMode;
}

export interface AssistantInfo {
  mode: AssistantMode;
  model: string | null;
}

/** PUT /api/todos/{id}: every field (the defaults of a create fill the rest); undoes a delete. */
export type TodoReplace = NewTodo & { done?: boolean };

/** GET /api/chat/conversations/{id} (the backend's ConversationOut and MessageOut). */
export interface ConversationMessage {
  role: "user" | "assistant";
  content: string;
  created_at: string;
}

export interface Conversation {
  id: string;
  messages: ConversationMessage[];
}
