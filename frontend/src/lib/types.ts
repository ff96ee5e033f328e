// The backend's JSON shapes, named for the UI. They come from api.gen.ts, which is generated
// from the backend's OpenAPI document (`make types`), so they follow backend/app/schemas.py
// and `make lint` fails when the committed copy falls behind.
import type { components } from "./api.gen";

type Schemas = components["schemas"];

export type Todo = Schemas["TodoOut"];
export type Priority = Todo["priority"];
export type TodoPage = Schemas["TodoList"];
export type NewTodo = Schemas["TodoCreate"];
export type TodoPatch = Schemas["TodoUpdate"];
/** PUT /api/todos/{id}: every field (the defaults of a create fill the rest); undoes a delete. */
export type TodoReplace = Schemas["TodoCreate"];

export type ChatAction = Schemas["Action"];
export type ChatActionType = ChatAction["type"];
export type ChatReply = Schemas["ChatOut"];
export type AssistantMode = ChatReply["mode"];
export type AssistantInfo = Schemas["AssistantInfo"];

/** GET /api/chat/conversations/{id}. */
export type Conversation = Schemas["ConversationOut"];
export type ConversationMessage = Schemas["MessageOut"];

// The list filter of the UI (the `status` query parameter of GET /api/todos).
export type StatusFilter = "all" | "active" | "done";
