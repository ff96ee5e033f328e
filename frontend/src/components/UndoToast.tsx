"use client";
// "Deleted “Buy milk”. Undo": shown for a few seconds after a delete. The timer stops while
// the pointer or the focus is on the toast, so nobody has to race it (WCAG 2.2.1).
import { useEffect, useRef, useState } from "react";
import { errorMessage } from "@/lib/errors";
import type { Todo } from "@/lib/types";
import type { Deleted } from "./useTodos";
import { Spinner } from "./Spinner";
import styles from "./toast.module.css";
import ui from "./ui.module.css";

export const UNDO_MS = 8_000;

interface Props {
  deleted: Deleted | null;
  onUndo: (todo: Todo) => Promise<void>;
  onDismiss: () => void;
  /** Where the focus goes when the toast closes while holding it. */
  returnFocus: () => void;
}

/** The live region stays in the page, so screen readers announce each toast put into it. */
export function UndoToast(props: Props) {
  return (
    <div className={styles.region} role="status" aria-live="polite">
      {props.deleted && <Toast key={props.deleted.key} {...props} deleted={props.deleted} />}
    </div>
  );
}

function Toast({ deleted, onUndo, onDismiss, returnFocus }: Props & { deleted: Deleted }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const undoButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (deleted.focusUndo) undoButton.current?.focus();
  }, [deleted.focusUndo]);

  function close() {
    const hadFocus = box.current?.contains(document.activeElement) ?? false;
    onDismiss();
    if (hadFocus) returnFocus();
  }

  const paused = hovered || focused || busy || error !== null;
  useEffect(() => {
    if (paused) return;
    const timer = setTimeout(onDismiss, UNDO_MS);
    return () => clearTimeout(timer);
  }, [paused, onDismiss]);

  async function undo() {
    const hadFocus = box.current?.contains(document.activeElement) ?? false;
    setBusy(true);
    setError(null);
    try {
      await onUndo(deleted.todo);
      if (hadFocus) returnFocus();
    } catch (err) {
      setError(`Could not undo: ${errorMessage(err)}`);
      setBusy(false);
    }
  }

  return (
    <div
      ref={box}
      className={styles.toast}
      data-testid="undo-toast"
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(false);
      }}
    >
      <p className={styles.text}>
        {error ?? `Deleted “${deleted.todo.title}”.`}
      </p>
      <button ref={undoButton} type="button" className={`${ui.button} ${ui.secondary}`} onClick={() => void undo()} disabled={busy}>
        {busy ? <Spinner /> : null}
        Undo
      </button>
      <button type="button" className={ui.iconButton} onClick={close} aria-label="Dismiss" title="Dismiss">
        ×
      </button>
    </div>
  );
}
