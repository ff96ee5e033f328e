"use client";
// Shows which assistant answers: Gemini (with its model) or the offline rule-based one.
import type { AssistantInfo } from "@/lib/types";
import styles from "./app.module.css";

export function AssistantBadge({ info, error }: { info: AssistantInfo | null; error: string | null }) {
  if (error) {
    return (
      <span className={`${styles.badge} ${styles.badgeError}`} title={error} data-testid="assistant-mode">
        <span className={styles.dot} aria-hidden="true" /> Assistant unavailable
      </span>
    );
  }
  if (!info) {
    return (
      <span className={styles.badge} data-testid="assistant-mode">
        <span className={styles.dot} aria-hidden="true" /> Checking assistant…
      </span>
    );
  }
  const gemini = info.mode === "gemini";
  return (
    <span
      className={`${styles.badge} ${gemini ? styles.badgeGemini : styles.badgeOffline}`}
      title={gemini ? "Answers come from Google Gemini" : "No Gemini API key: a built-in rule-based assistant answers"}
      data-testid="assistant-mode"
    >
      <span className={styles.dot} aria-hidden="true" />
      {gemini ? `Gemini${info.model ? ` · ${info.model}` : ""}` : "Offline mode"}
    </span>
  );
}
