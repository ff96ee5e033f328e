"use client";
// The "add a todo" form: a title, plus optional priority and due date.
import { useId, useRef, useState, type FormEvent } from "react";
import { errorMessage } from "@/lib/errors";
import { TITLE_MAX, titleError } from "@/lib/todos";
import type { NewTodo, Priority } from "@/lib/types";
import { Spinner } from "./Spinner";
import styles from "./todos.module.css";
import ui from "./ui.module.css";

export function TodoComposer({ onAdd }: { onAdd: (todo: NewTodo) => Promise<unknown> }) {
  const [title, setTitle] = useState("");
  const [priority, setPriority] = useState<Priority>("medium");
  const [due, setDue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleRef = useRef<HTMLInputElement>(null);
  const id = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const invalid = titleError(title);
    if (invalid) {
      setError(invalid);
      titleRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onAdd({ title: title.trim(), priority, due_date: due || null });
      setTitle("");
      setDue("");
      setPriority("medium");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      titleRef.current?.focus();
    }
  }

  return (
    <form className={styles.composer} onSubmit={submit} aria-label="Add a todo" noValidate>
      <label htmlFor={`${id}-title`} className="sr-only">
        New todo title
      </label>
      <input
        id={`${id}-title`}
        ref={titleRef}
        className={ui.input}
        placeholder="What needs doing?"
        value={title}
        maxLength={TITLE_MAX + 50}
        autoComplete="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => {
          setTitle(e.target.value);
          if (error) setError(null);
        }}
      />
      <button type="submit" className={ui.button} disabled={busy}>
        {busy ? <Spinner /> : null}
        Add
      </button>
      <div className={styles.composerExtras}>
        <label>
          Priority
          <select className={ui.input} value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
            <option value="low">Low</option>
            <option value="medium">Medium</option>
            <option value="high">High</option>
          </select>
        </label>
        <label>
          Due
          <input type="date" className={ui.input} value={due} onChange={(e) => setDue(e.target.value)} />
        </label>
      </div>
      {error && (
        <p id={`${id}-error`} className={`${ui.fieldError} ${styles.composerError}`} role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
