"use client";
// The todo list's state: the current view (status filter + search), the loaded page, and
// the actions that change it. Mutations update the list in place (no reload), and a change
// made by the assistant is merged the same way. The last deleted todo (from the list or by
// the assistant) can be put back: deletes are soft on the server, and a PUT of the todo as
// it was restores it with its id and place.
import { useCallback, useEffect, useRef, useState } from "react";
import * as api from "@/lib/api";
import { errorMessage } from "@/lib/errors";
import { applyChatActions, changesTodos, removeTodo, upsertTodo, type ListState, type View } from "@/lib/todos";
import type { ChatAction, NewTodo, StatusFilter, Todo, TodoPatch } from "@/lib/types";

export const PAGE_SIZE = 50;

/** The todo an Undo would bring back; key tells one delete from the next. */
export interface Deleted {
  todo: Todo;
  key: number;
  /** Deleted from the keyboard: the Undo button takes the focus the row had. */
  focusUndo: boolean;
}
const SEARCH_DEBOUNCE_MS = 250;

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

export function useTodos() {
  const [status, setStatus] = useState<StatusFilter>("all");
  const [search, setSearch] = useState("");
  const q = useDebounced(search, SEARCH_DEBOUNCE_MS);
  const [list, setList] = useState<ListState>({ items: [], total: 0 });
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  // The view the loaded list belongs to, so merges use the filter the user is looking at.
  const view: View = { status, q };
  const viewRef = useRef(view);
  viewRef.current = view;
  const listRef = useRef(list);
  listRef.current = list;
  const controller = useRef<AbortController | null>(null);
  const [deleted, setDeleted] = useState<Deleted | null>(null);
  const deleteCount = useRef(0);
  const offerUndo = useCallback((todo: Todo, focusUndo = false) => {
    setDeleted({ todo, key: ++deleteCount.current, focusUndo });
  }, []);

  const refresh = useCallback(async (opts: { quiet?: boolean } = {}) => {
    controller.current?.abort();
    const ac = new AbortController();
    controller.current = ac;
    if (!opts.quiet) setLoading(true);
    try {
      const page = await api.listTodos({ ...viewRef.current, limit: PAGE_SIZE }, ac.signal);
      setList({ items: page.items, total: page.total });
      setLoadError(null);
    } catch (err) {
      if (ac.signal.aborted) return;
      setLoadError(errorMessage(err));
    } finally {
      if (!ac.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [status, q, refresh]);
  useEffect(() => () => controller.current?.abort(), []);

  const loadMore = useCallback(async () => {
    setLoadingMore(true);
    try {
      const page = await api.listTodos({ ...viewRef.current, limit: PAGE_SIZE, offset: list.items.length });
      setList((prev) => {
        const seen = new Set(prev.items.map((t) => t.id));
        return { items: [...prev.items, ...page.items.filter((t) => !seen.has(t.id))], total: page.total };
      });
      setLoadError(null);
    } catch (err) {
      setLoadError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  }, [list.items.length]);

  // Mutations throw ApiError so the caller can show the message next to what failed.
  const add = useCallback(async (todo: NewTodo): Promise<Todo> => {
    const created = await api.createTodo(todo);
    setList((prev) => upsertTodo(prev, created, viewRef.current));
    return created;
  }, []);

  const update = useCallback(async (id: number, patch: TodoPatch): Promise<Todo> => {
    const updated = await api.updateTodo(id, patch);
    setList((prev) => upsertTodo(prev, updated, viewRef.current));
    return updated;
  }, []);

  const remove = useCallback(
    async (id: number, opts: { fromKeyboard?: boolean } = {}): Promise<void> => {
      const snapshot = listRef.current.items.find((t) => t.id === id);
      await api.deleteTodo(id);
      setList((prev) => removeTodo(prev, id));
      if (snapshot) offerUndo(snapshot, opts.fromKeyboard);
    },
    [offerUndo],
  );

  /** Puts the last deleted todo back; throws ApiError so the toast can say why not. */
  const undoDelete = useCallback(async (todo: Todo): Promise<void> => {
    const restored = await api.restoreTodo(todo);
    setList((prev) => upsertTodo(prev, restored, viewRef.current));
    setDeleted((d) => (d?.todo.id === todo.id ? null : d));
  }, []);

  const dismissUndo = useCallback(() => setDeleted(null), []);

  /** Merges what the assistant did; re-fetches quietly when an action named a todo without sending it. */
  const applyActions = useCallback(
    (actions: ChatAction[]) => {
      if (!changesTodos(actions)) return;
      const { state, refetch } = applyChatActions(listRef.current, actions, viewRef.current);
      setList(state);
      if (refetch) void refresh({ quiet: true });
      // The assistant's deletes can be undone like the list's (the last one, if it says which).
      const lastDeleted = actions.filter((a) => a.type === "deleted" && a.todo).pop();
      if (lastDeleted?.todo) offerUndo(lastDeleted.todo);
    },
    [refresh, offerUndo],
  );

  return {
    status,
    setStatus,
    search,
    setSearch,
    searching: search !== q,
    items: list.items,
    total: list.total,
    loading,
    loadingMore,
    loadError,
    refresh,
    loadMore,
    add,
    update,
    remove,
    applyActions,
    deleted,
    undoDelete,
    dismissUndo,
  };
}

export type TodosApi = ReturnType<typeof useTodos>;
