import { describe, expect, it } from "vitest";
import { applyChatActions, changesTodos, describeDue, matchesView, removeTodo, titleError, upsertTodo } from "@/lib/todos";
import { todo } from "../support/fixtures";

const all = { status: "all", q: "" } as const;

describe("matchesView", () => {
  it("filters by status and by a case-insensitive search of title and notes", () => {
    const open = todo({ title: "Buy MILK", notes: "" });
    const done = todo({ title: "Call mum", notes: "about the milk run", done: true });
    expect(matchesView(open, { status: "active", q: "" })).toBe(true);
    expect(matchesView(done, { status: "active", q: "" })).toBe(false);
    expect(matchesView(done, { status: "done", q: "" })).toBe(true);
    expect(matchesView(open, { status: "done", q: "" })).toBe(false);
    expect(matchesView(open, { status: "all", q: " milk " })).toBe(true);
    expect(matchesView(done, { status: "all", q: "MILK" })).toBe(true);
    expect(matchesView(open, { status: "all", q: "bread" })).toBe(false);
  });
});

describe("upsertTodo / removeTodo", () => {
  it("adds a new todo in newest-first order and counts it", () => {
    const older = todo();
    const newer = todo();
    const s = upsertTodo({ items: [older], total: 1 }, newer, all);
    expect(s.items.map((t) => t.id)).toEqual([newer.id, older.id]);
    expect(s.total).toBe(2);
  });

  it("replaces a changed todo in place", () => {
    const a = todo();
    const b = todo();
    const s = upsertTodo({ items: [b, a], total: 2 }, { ...a, title: "renamed" }, all);
    expect(s.items.map((t) => t.title)).toEqual([b.title, "renamed"]);
    expect(s.total).toBe(2);
  });

  it("drops a todo that left the view (completed while showing active)", () => {
    const a = todo();
    const s = upsertTodo({ items: [a], total: 1 }, { ...a, done: true }, { status: "active", q: "" });
    expect(s).toEqual({ items: [], total: 0 });
  });

  it("ignores a new todo that does not belong in the view", () => {
    const state = { items: [], total: 0 };
    expect(upsertTodo(state, todo({ done: false }), { status: "done", q: "" })).toBe(state);
  });

  it("removes by id and never counts below zero", () => {
    const a = todo();
    expect(removeTodo({ items: [a], total: 0 }, a.id)).toEqual({ items: [], total: 0 });
    const state = { items: [a], total: 1 };
    expect(removeTodo(state, 999_999)).toBe(state);
  });
});

describe("applyChatActions", () => {
  it("applies created, completed and deleted actions to the visible list", () => {
    const keep = todo();
    const gone = todo();
    const finished = todo();
    const created = todo({ title: "Buy milk" });
    const { state, refetch } = applyChatActions(
      { items: [finished, gone, keep], total: 3 },
      [
        { type: "created", todo_id: created.id, todo: created },
        { type: "completed", todo_id: finished.id, todo: { ...finished, done: true } },
        { type: "deleted", todo_id: gone.id },
        { type: "listed" },
      ],
      { status: "active", q: "" },
    );
    expect(state.items.map((t) => t.id)).toEqual([created.id, keep.id]);
    expect(state.total).toBe(2);
    expect(refetch).toBe(false);
  });

  it("asks for a re-fetch when an action names a todo without sending it", () => {
    const { refetch } = applyChatActions({ items: [], total: 0 }, [{ type: "updated", todo_id: 3 }], all);
    expect(refetch).toBe(true);
  });

  it("treats a listing as no change", () => {
    expect(changesTodos([{ type: "listed" }])).toBe(false);
    expect(changesTodos([{ type: "listed" }, { type: "deleted", todo_id: 1 }])).toBe(true);
  });
});

describe("describeDue", () => {
  const today = new Date(2026, 2, 10, 15, 30);
  it.each([
    [null, null],
    ["2026-03-10", { text: "Due today", overdue: false }],
    ["2026-03-11", { text: "Due tomorrow", overdue: false }],
    ["2026-03-09", { text: "Overdue · 9 Mar", overdue: true }],
    ["2026-04-12", { text: "Due 12 Apr", overdue: false }],
    ["garbage", null],
  ])("%s", (due, want) => {
    expect(describeDue(due, today)).toEqual(want);
  });
});

describe("titleError", () => {
  it("names the fix for empty and too-long titles", () => {
    expect(titleError("   ")).toBe("Enter a title for the todo.");
    expect(titleError("x".repeat(201))).toBe("Title is too long: 201 characters, at most 200.");
    expect(titleError(" ok ")).toBeNull();
  });
});
