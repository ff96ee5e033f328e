"use client";
// One row: done checkbox, title (editable in place), badges, edit and delete buttons.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { errorMessage } from "@/lib/errors";
import { TITLE_MAX, describeDue, titleError } from "@/lib/todos";
import type { Todo, TodoPatch } from "@/lib/types";
import { PencilIcon, TrashIcon } from "./Icons";
import styles from "./todos.module.css";
import ui from "./ui.module.css";

interface Props {
  todo: Todo;
  onUpdate: (id: number, patch: TodoPatch) => Promise<unknown>;
  onDelete: (id: number, opts: { fromKeyboard: boolean }) => Promise<unknown>;
}

export function TodoItem({ todo, onUpdate, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(todo.title);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The checkbox flips at once; it falls back to the server's value when the request ends.
  const [pendingDone, setPendingDone] = useState<boolean | null>(null);
  const done = pendingDone ?? todo.done;
  const inputRef = useRef<HTMLInputElement>(null);
  const editButtonRef = useRef<HTMLButtonElement>(null);
  const id = useId();
  const due = describeDue(todo.due_date);

  useEffect(() => {
    if (editing) inputRef.current?.select();
  }, [editing]);

  async function run(action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function toggleDone() {
    setPendingDone(!done);
    await run(() => onUpdate(todo.id, { done: !done }));
    setPendingDone(null);
  }

  function startEdit() {
    setDraft(todo.title);
    setError(null);
    setEditing(true);
  }

  function cancelEdit() {
    setEditing(false);
    setError(null);
    // Give keyboard users their place back.
    requestAnimationFrame(() => editButtonRef.current?.focus());
  }

  async function saveEdit(e: FormEvent) {
    e.preventDefault();
    const invalid = titleError(draft);
    if (invalid) {
      setError(invalid);
      return;
    }
    if (draft.trim() === todo.title) {
      cancelEdit();
      return;
    }
    if (await run(() => onUpdate(todo.id, { title: draft.trim() }))) cancelEdit();
  }

  function onEditKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "Escape") {
      e.preventDefault();
      cancelEdit();
    }
  }

  return (
    <li className={`${styles.item} ${done ? styles.done : ""}`} aria-busy={busy} data-testid="todo-item">
      <input
        type="checkbox"
        className={styles.check}
        checked={done}
        disabled={busy}
        aria-label={`Mark "${todo.title}" as ${done ? "not done" : "done"}`}
        onChange={() => void toggleDone()}
      />
      {/* The number the assistant understands: "mark 3 done", "delete #3". */}
      <span className={styles.number} data-testid="todo-number" title="Todo number: the assistant understands “mark 3 done”">
        #{todo.id}
      </span>
      <div className={styles.body}>
        {editing ? (
          <form className={styles.editForm} onSubmit={saveEdit}>
            <label htmlFor={`${id}-edit`} className="sr-only">
              Edit title of &quot;{todo.title}&quot;
            </label>
            <input
              id={`${id}-edit`}
              ref={inputRef}
              className={ui.input}
              value={draft}
              maxLength={TITLE_MAX + 50}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={onEditKey}
            />
            <button type="submit" className={ui.button} disabled={busy}>
              Save
            </button>
            <button type="button" className={`${ui.button} ${ui.secondary}`} onClick={cancelEdit} disabled={busy}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <p className={styles.title} onDoubleClick={startEdit}>
              {todo.title}
            </p>
            {todo.notes && <p className={styles.notes}>{todo.notes}</p>}
            {(todo.priority !== "medium" || due) && (
              <div className={styles.meta}>
                {todo.priority !== "medium" && (
                  <span className={`${styles.badge} ${styles[todo.priority]}`}>
                    {todo.priority === "high" ? "High priority" : "Low priority"}
                  </span>
                )}
                {due && (
                  <span className={`${styles.badge} ${due.overdue && !todo.done ? styles.overdue : ""}`}>{due.text}</span>
                )}
              </div>
            )}
          </>
        )}
        {error && (
          <p id={`${id}-error`} className={ui.fieldError} role="alert">
            {error}
          </p>
        )}
      </div>
      {!editing && (
        <div className={styles.actions}>
          <button
            ref={editButtonRef}
            type="button"
            className={ui.iconButton}
            onClick={startEdit}
            disabled={busy}
            aria-label={`Edit "${todo.title}"`}
            title="Edit"
          >
            <PencilIcon />
          </button>
          <button
            type="button"
            className={`${ui.iconButton} ${ui.danger}`}
            // detail is 0 for a click made with Enter or Space.
            onClick={(e) => void run(() => onDelete(todo.id, { fromKeyboard: e.detail === 0 }))}
            disabled={busy}
            aria-label={`Delete "${todo.title}"`}
            title="Delete"
          >
            <TrashIcon />
          </button>
        </div>
      )}
    </li>
  );
}
