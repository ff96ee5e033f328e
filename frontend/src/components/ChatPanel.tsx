"use client";
// Talk to the assistant. Its replies can change todos; onActions hands those changes to the
// list so it updates without a reload. The server stores the conversation: this browser keeps
// only its id, and a reload shows the stored messages again.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { getConversation, sendChat } from "@/lib/api";
import { SUGGESTIONS, actionNotes, forgetConversationId, loadConversationId, saveConversationId, type ChatMessage } from "@/lib/chat";
import { ApiError, errorMessage } from "@/lib/errors";
import { MESSAGE_MAX } from "@/lib/todos";
import type { ChatAction, AssistantMode } from "@/lib/types";
import { SendIcon } from "./Icons";
import { Spinner } from "./Spinner";
import styles from "./chat.module.css";
import ui from "./ui.module.css";

const GREETING: ChatMessage = {
  id: 0,
  role: "assistant",
  text: "Hi! I can add, complete, update, delete and list your todos, by name or by number (#3). What should I do?",
};

/** GET of the stored conversation failed because it is gone (purged, another database) or its id is garbage. */
const isUnknownConversation = (err: unknown) => err instanceof ApiError && [400, 404, 422].includes(err.status);

/** A chat turn failed because of its conversation_id, not because of the message. */
const isConversationRefused = (err: unknown) =>
  err instanceof ApiError && (err.status === 404 || (err.status === 422 && err.message.includes("conversation_id")));

interface Props {
  onActions: (actions: ChatAction[]) => void;
  onMode: (mode: AssistantMode) => void;
}

export function ChatPanel({ onActions, onMode }: Props) {
  const [messages, setMessages] = useState<ChatMessage[]>([GREETING]);
  const [draft, setDraft] = useState("");
  const [pending, setPending] = useState(false);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [resuming, setResuming] = useState(false);
  const nextId = useRef(1);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  const startOver = useCallback(() => {
    forgetConversationId();
    setConversationId(null);
    setMessages([GREETING]);
  }, []);

  // Resume the conversation this browser had, as the server stored it.
  useEffect(() => {
    const stored = loadConversationId();
    if (!stored) return;
    let cancelled = false;
    setConversationId(stored);
    setResuming(true);
    getConversation(stored)
      .then((conv) => {
        if (cancelled) return;
        const earlier = conv.messages.map((m) => ({ id: nextId.current++, role: m.role, text: m.content }));
        setMessages((now) => [GREETING, ...earlier, ...now.slice(1)]);
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        if (isUnknownConversation(err)) {
          forgetConversationId();
          setConversationId(null);
        } else {
          const text = `Could not load the earlier conversation: ${errorMessage(err)}`;
          setMessages((now) => [...now, { id: nextId.current++, role: "error", text }]);
        }
      })
      .finally(() => {
        if (!cancelled) setResuming(false);
      });
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages, pending]);

  function push(msg: Omit<ChatMessage, "id">) {
    setMessages((prev) => [...prev, { ...msg, id: nextId.current++ }]);
  }

  async function send(text: string) {
    const message = text.trim();
    if (!message || pending || resuming) return;
    if (message.length > MESSAGE_MAX) {
      push({ role: "error", text: `Message is too long: ${message.length} characters, at most ${MESSAGE_MAX}.` });
      return;
    }
    push({ role: "user", text: message });
    setDraft("");
    setPending(true);
    try {
      let reply;
      try {
        reply = await sendChat(message, conversationId);
      } catch (err) {
        // The stored conversation is gone: carry on in a new one rather than fail the turn.
        if (!conversationId || !isConversationRefused(err)) throw err;
        forgetConversationId();
        reply = await sendChat(message, null);
      }
      setConversationId(reply.conversation_id);
      saveConversationId(reply.conversation_id);
      onMode(reply.mode);
      push({ role: "assistant", text: reply.reply, notes: actionNotes(reply.actions) });
      onActions(reply.actions);
    } catch (err) {
      push({ role: "error", text: errorMessage(err) });
      // Keep what was typed for a retry (unless something new was typed meanwhile).
      setDraft((now) => now || text);
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
        aria-busy={pending || resuming}
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
        {(pending || resuming) && (
          <div className={styles.thinking} role="status">
            <Spinner /> {resuming ? "Loading the conversation…" : "Assistant is thinking…"}
          </div>
        )}
      </div>
      {messages.length === 1 && !resuming && (
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
        <button type="submit" className={ui.button} disabled={pending || resuming || !draft.trim()} aria-label="Send message">
          {pending ? <Spinner /> : <SendIcon />}
        </button>
      </form>
      <div className={styles.footer}>
        <p id={`${id}-hint`} className={styles.hint}>
          Enter to send, Shift+Enter for a new line.
        </p>
        {messages.length > 1 && (
          <button type="button" className={styles.newChat} onClick={startOver} disabled={pending}>
            New conversation
          </button>
        )}
      </div>
    </div>
  );
}
