"use client";
// The whole page's interactive part: the todo list and the assistant, wired together so
// the assistant's changes show up in the list at once.
import { useCallback, useEffect, useState } from "react";
import { getAssistant } from "@/lib/api";
import { errorMessage } from "@/lib/errors";
import type { AssistantInfo, AssistantMode } from "@/lib/types";
import { AssistantBadge } from "./AssistantBadge";
import { ChatPanel } from "./ChatPanel";
import { TodoList } from "./TodoList";
import { useTodos } from "./useTodos";
import styles from "./app.module.css";

export function TodoApp() {
  const todos = useTodos();
  const [assistant, setAssistant] = useState<AssistantInfo | null>(null);
  const [assistantError, setAssistantError] = useState<string | null>(null);

  useEffect(() => {
    getAssistant()
      .then((info) => {
        setAssistant(info);
        setAssistantError(null);
      })
      .catch((err) => setAssistantError(errorMessage(err)));
  }, []);

  // A chat reply names the mode that answered; keep the badge truthful if it changed.
  const onMode = useCallback((mode: AssistantMode) => {
    setAssistantError(null);
    setAssistant((prev) => (prev?.mode === mode ? prev : { mode, model: mode === "gemini" ? (prev?.model ?? null) : null }));
  }, []);

  return (
    <div className={styles.shell}>
      <header className={styles.header}>
        <div className={styles.brand}>
          <span className={styles.logo} aria-hidden="true">
            ✓
          </span>
          <div>
            <h1>Todo Chatbot</h1>
            <p>Your list, and an assistant that can change it.</p>
          </div>
        </div>
        <AssistantBadge info={assistant} error={assistantError} />
      </header>
      <main id="main" className={styles.grid}>
        <section className={styles.card} aria-labelledby="todos-heading">
          <h2 id="todos-heading" tabIndex={-1}>
            Todos
          </h2>
          <TodoList todos={todos} headingId="todos-heading" />
        </section>
        <section className={`${styles.card} ${styles.chatCard}`} aria-labelledby="chat-heading">
          <h2 id="chat-heading">Assistant</h2>
          <ChatPanel onActions={todos.applyActions} onMode={onMode} />
        </section>
      </main>
    </div>
  );
}
