"use client";
// The todo card: composer, filters, and the list with its loading, error and empty states.
import type { TodosApi } from "./useTodos";
import { ErrorAlert } from "./ErrorAlert";
import { Spinner } from "./Spinner";
import { TodoComposer } from "./TodoComposer";
import { TodoFilters } from "./TodoFilters";
import { TodoItem } from "./TodoItem";
import { UndoToast } from "./UndoToast";
import styles from "./todos.module.css";
import ui from "./ui.module.css";

function emptyText(status: string, search: string): { title: string; hint: string } {
  if (search.trim()) return { title: "No matches", hint: `Nothing matches “${search.trim()}”. Try another word.` };
  if (status === "active") return { title: "All caught up", hint: "Every todo is done. Nice work." };
  if (status === "done") return { title: "Nothing done yet", hint: "Tick a todo to see it here." };
  return { title: "No todos yet", hint: "Add one above, or ask the assistant: “add buy milk”." };
}

/** headingId: the card's heading, where the focus goes when the undo toast closes holding it. */
export function TodoList({ todos, headingId }: { todos: TodosApi; headingId: string }) {
  const showList = todos.items.length > 0;
  const empty = emptyText(todos.status, todos.search);
  return (
    <>
      <TodoComposer onAdd={todos.add} />
      <TodoFilters
        status={todos.status}
        onStatus={todos.setStatus}
        search={todos.search}
        onSearch={todos.setSearch}
      />
      {todos.loadError && <ErrorAlert message={todos.loadError} onRetry={() => void todos.refresh()} />}
      <p className={styles.summary} aria-live="polite">
        {todos.loading || todos.loadError ? "" : `${todos.total} ${todos.total === 1 ? "todo" : "todos"}`}
      </p>
      {todos.loading && !showList ? (
        <div className={styles.loading} role="status">
          <Spinner /> Loading todos…
        </div>
      ) : showList ? (
        <ul className={styles.list} aria-label="Todos" aria-busy={todos.loading || todos.searching}>
          {todos.items.map((t) => (
            <TodoItem key={t.id} todo={t} onUpdate={todos.update} onDelete={todos.remove} />
          ))}
        </ul>
      ) : (
        !todos.loadError && (
          <div className={styles.empty} role="status">
            <strong>{empty.title}</strong>
            {empty.hint}
          </div>
        )
      )}
      <UndoToast
        deleted={todos.deleted}
        onUndo={todos.undoDelete}
        onDismiss={todos.dismissUndo}
        returnFocus={() => document.getElementById(headingId)?.focus()}
      />
      {showList && todos.items.length < todos.total && (
        <div className={styles.more}>
          <button
            type="button"
            className={`${ui.button} ${ui.secondary}`}
            onClick={() => void todos.loadMore()}
            disabled={todos.loadingMore}
          >
            {todos.loadingMore ? <Spinner /> : null}
            Show more ({todos.total - todos.items.length} left)
          </button>
        </div>
      )}
    </>
  );
}
