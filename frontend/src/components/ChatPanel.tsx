"use client";
// Talk to the assistant. Its replies can change todos; onActions hands those changes to the
// list so it updates without a reload.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { sendChat } from "@/lib/api";
import { SUGGESTIONS, actionNotes, type ChatMessage } from "@/lib/chat";
import { errorMessage } from "@/lib/errors";
import { MESSAGE_MAX } from "@/lib/todos";
import type { ChatAction, AssistantMode } from "@/lib/types";
import { SendIcon } from "./Icons";
import { Spinner } from "./Spinner";
import styles from "./chat.module.css";
import ui from "./ui.module.css";

const GREETING: ChatMessage = {
  id: 0,
  role: "assistant",
  text: "Hi! I can add, complete, update, delete and list your todos. What should I do?",
};

interface Props {
  onActions: (actions: ChatAction[]) => void;
  onMode: (mode: AssistantMode) => void;
}

export function ChatPanel({ onActions, onMode }: Props) {
  const [messages, setMessages] = useState<ChatMessage[]>([GREETING]);
  const [draft, setDraft] = useState("");
  const [pending, setPending] = useState(false);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const nextId = useRef(1);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages, pending]);

  function push(msg: Omit<ChatMessage, "id">) {
    setMessages((prev) => [...prev, { ...msg, id: nextId.current++ }]);
  }

  async function send(text: string) {
    const message = text.trim();
    if (!message || pending) return;
    if (message.length > MESSAGE_MAX) {
      push({ role: "error", text: `Message is too long: ${message.length} characters, at most ${MESSAGE_MAX}.` });
      return;
    }
    push({ role: "user", text: message });
    setDraft("");
    setPending(true);
    try {
      const reply = await sendChat(message, conversationId);
      setConversationId(reply.conversation_id);
      onMode(reply.mode);
      push({ role: "assistant", text: reply.reply, notes: actionNotes(reply.actions) });
      onActions(reply.actions);
    } catch (err) {
      push({ role: "error", text: errorMessage(err) });
    } finally {
      setPending(false);
      inputRef.current?.focus();
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    void send(draft);
  }

  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter adds a line; never while an IME composition is open.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send(draft);
    }
  }

  return (
    <div className={styles.panel}>
      <div
        ref={logRef}
        className={styles.log}
        role="log"
        aria-live="polite"
        aria-label="Conversation with the assistant"
        aria-busy={pending}
        tabIndex={0}
      >
        {messages.map((m) => (
          <div key={m.id} className={`${styles.bubble} ${styles[m.role]}`} data-role={m.role}>
            <span className="sr-only">{m.role === "user" ? "You: " : m.role === "error" ? "Error: " : "Assistant: "}</span>
            {m.text}
            {m.notes && m.notes.length > 0 && (
              <ul className={styles.notes}>
                {m.notes.map((n, i) => (
                  <li key={i}>{n}</li>
                ))}
              </ul>
            )}
          </div>
        ))}
        {pending && (
          <div className={styles.thinking} role="status">
            <Spinner /> Assistant is thinking…
          </div>
        )}
      </div>
      {messages.length === 1 && (
        <div className={styles.suggestions}>
          {SUGGESTIONS.map((s) => (
            <button key={s} type="button" className={styles.suggestion} onClick={() => void send(s)} disabled={pending}>
              {s}
            </button>
          ))}
        </div>
      )}
      <form className={styles.form} onSubmit={submit}>
        <label htmlFor={`${id}-msg`} className="sr-only">
          Message the assistant
        </label>
        <textarea
          id={`${id}-msg`}
          ref={inputRef}
          className={ui.input}
          rows={1}
          placeholder="Ask the assistant…"
          value={draft}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKey}
        />
        <button type="submit" className={ui.button} disabled={pending || !draft.trim()} aria-label="Send message">
          {pending ? <Spinner /> : <SendIcon />}
        </button>
      </form>
      <p id={`${id}-hint`} className={styles.hint}>
        Enter to send, Shift+Enter for a new line.
      </p>
    </div>
  );
}
