// @vitest-environment jsdom
// The page's behaviour as a person uses it, against an in-memory /api.
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TodoApp } from "@/components/TodoApp";
import { installFakeApi } from "../support/fakeApi";
import { todo } from "../support/fixtures";

afterEach(cleanup);
beforeEach(() => window.localStorage.clear());

const list = () => screen.getByRole("list", { name: "Todos" });
const titles = () => within(list()).getAllByTestId("todo-item").map((li) => li.querySelector("p")?.textContent);

describe("TodoApp", () => {
  it("shows a loading state, then the empty state and the offline badge", async () => {
    installFakeApi();
    render(<TodoApp />);
    expect(screen.getByText("Loading todos…")).toBeTruthy();
    expect(await screen.findByText("No todos yet")).toBeTruthy();
    expect((await screen.findByTestId("assistant-mode")).textContent).toContain("Offline mode");
  });

  it("shows the Gemini model when the assistant runs with Gemini", async () => {
    const api = installFakeApi();
    api.assistant = { mode: "gemini", model: "gemini-2.5-flash" };
    render(<TodoApp />);
    await waitFor(() => expect(screen.getByTestId("assistant-mode").textContent).toContain("Gemini · gemini-2.5-flash"));
  });

  it("adds a todo from the form and refuses an empty title without a request", async () => {
    const user = userEvent.setup();
    const api = installFakeApi();
    render(<TodoApp />);
    await screen.findByText("No todos yet");
    const input = screen.getByLabelText("New todo title");
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByText("Enter a title for the todo.")).toBeTruthy();
    expect(api.calls.filter((c) => c.startsWith("POST"))).toHaveLength(0);

    await user.type(input, "Buy milk{Enter}");
    await waitFor(() => expect(titles()).toEqual(["Buy milk"]));
    expect((input as HTMLInputElement).value).toBe("");
    expect(screen.getByText("1 todo")).toBeTruthy();
  });

  it("completes, edits (Enter saves, Escape cancels) and deletes a todo", async () => {
    const user = userEvent.setup();
    const api = installFakeApi([todo({ id: 1, title: "Write report" })]);
    render(<TodoApp />);
    await screen.findByText("Write report");

    await user.click(screen.getByRole("checkbox", { name: 'Mark "Write report" as done' }));
    await waitFor(() => expect(api.todos[0]?.done).toBe(true));
    expect(screen.getByRole("checkbox", { name: 'Mark "Write report" as not done' })).toBeTruthy();

    await user.click(screen.getByRole("button", { name: 'Edit "Write report"' }));
    const edit = screen.getByLabelText('Edit title of "Write report"');
    await user.clear(edit);
    await user.type(edit, "Ignored{Escape}");
    expect(screen.getByText("Write report")).toBeTruthy();
    expect(api.todos[0]?.title).toBe("Write report");

    await user.click(screen.getByRole("button", { name: 'Edit "Write report"' }));
    const edit2 = screen.getByLabelText('Edit title of "Write report"');
    await user.clear(edit2);
    await user.type(edit2, "Write the report{Enter}");
    await screen.findByText("Write the report");
    expect(api.todos[0]?.title).toBe("Write the report");

    await user.click(screen.getByRole("button", { name: 'Delete "Write the report"' }));
    await screen.findByText("No todos yet");
    expect(api.todos).toHaveLength(0);
  });

  it("filters by status through the backend query", async () => {
    const user = userEvent.setup();
    const api = installFakeApi([todo({ id: 1, title: "Open one" }), todo({ id: 2, title: "Finished one", done: true })]);
    render(<TodoApp />);
    await screen.findByText("Open one");
    await user.click(screen.getByRole("radio", { name: "Done" }));
    await waitFor(() => expect(titles()).toEqual(["Finished one"]));
    expect(api.calls).toContain("GET /api/todos?status=done&limit=50");
  });

  it("shows a readable error with Retry when the backend is down, and recovers", async () => {
    const user = userEvent.setup();
    const api = installFakeApi([todo({ id: 1, title: "Survivor" })]);
    api.failWith = { status: 502, detail: "The backend at http://backend:8000 is unreachable (connection refused: is the backend running?)." };
    render(<TodoApp />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("is unreachable (connection refused");
    await waitFor(() => expect(screen.getByTestId("assistant-mode").textContent).toContain("Assistant unavailable"));

    api.failWith = null;
    await user.click(screen.getByRole("button", { name: "Retry" }));
    await screen.findByText("Survivor");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows an error next to a failed change instead of losing it", async () => {
    const user = userEvent.setup();
    const api = installFakeApi([todo({ id: 1, title: "Fragile" })]);
    render(<TodoApp />);
    await screen.findByText("Fragile");
    api.failWith = { status: 404, detail: "Todo 1 not found" };
    await user.click(screen.getByRole("button", { name: 'Delete "Fragile"' }));
    expect((await screen.findByRole("alert")).textContent).toBe("Todo 1 not found");
    expect(screen.getByText("Fragile")).toBeTruthy();
  });

  it("flips the checkbox at once and reverts it when the change fails", async () => {
    const user = userEvent.setup();
    const api = installFakeApi([todo({ id: 1, title: "Pay rent" })]);
    render(<TodoApp />);
    await screen.findByText("Pay rent");
    api.failWith = { status: 503, detail: "Database unavailable" };
    const box = screen.getByRole("checkbox", { name: 'Mark "Pay rent" as done' }) as HTMLInputElement;
    await user.click(box);
    expect((await screen.findByRole("alert")).textContent).toBe("Database unavailable");
    expect((screen.getByRole("checkbox", { name: 'Mark "Pay rent" as done' }) as HTMLInputElement).checked).toBe(false);
  });

  it("updates the list when the assistant adds a todo, without a reload", async () => {
    const user = userEvent.setup();
    const api = installFakeApi();
    const created = todo({ id: 55, title: "Buy milk" });
    api.chat = (message) => ({
      status: 200,
      body: { reply: `Added "Buy milk" (from: ${message})`, conversation_id: "c1", actions: [{ type: "created", todo_id: 55, todo: created }], mode: "offline" },
    });
    render(<TodoApp />);
    await screen.findByText("No todos yet");
    await user.type(screen.getByLabelText("Message the assistant"), "add buy milk{Enter}");
    expect(await screen.findByText(/Added "Buy milk" \(from: add buy milk\)/)).toBeTruthy();
    expect(screen.getByText("Added “Buy milk”")).toBeTruthy();
    await waitFor(() => expect(titles()).toEqual(["Buy milk"]));
    expect(api.calls.filter((c) => c.startsWith("GET /api/todos"))).toHaveLength(1);
  });

  it("shows the assistant's rate-limit error as a readable chat message", async () => {
    const user = userEvent.setup();
    const api = installFakeApi();
    api.chat = () => ({ status: 429, body: { detail: "Gemini is rate limiting requests; try again in a minute." } });
    render(<TodoApp />);
    await user.type(screen.getByLabelText("Message the assistant"), "hello{Enter}");
    const log = screen.getByRole("log");
    await waitFor(() => expect(within(log).getByText("Gemini is rate limiting requests; try again in a minute.")).toBeTruthy());
    // The failed message stays in the box for a retry.
    const box = screen.getByLabelText("Message the assistant") as HTMLTextAreaElement;
    expect(box.value).toBe("hello");
    // Shift+Enter makes a new line instead of sending.
    await user.clear(box);
    await user.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(box.value).toBe("line one\nline two");
  });

  it("shows each todo's number, the one the assistant understands", async () => {
    installFakeApi([todo({ id: 7, title: "Water plants" }), todo({ id: 12, title: "Call mum" })]);
    render(<TodoApp />);
    await screen.findByText("Water plants");
    const numbers = within(list()).getAllByTestId("todo-number").map((n) => n.textContent);
    expect(numbers).toEqual(["#7", "#12"]);
  });

  it("undoes a delete from the list: the todo comes back with its number and place", async () => {
    const user = userEvent.setup();
    const api = installFakeApi([todo({ id: 3, title: "Newer" }), todo({ id: 2, title: "Keep me" }), todo({ id: 1, title: "Older" })]);
    render(<TodoApp />);
    await screen.findByText("Keep me");
    await user.click(screen.getByRole("button", { name: 'Delete "Keep me"' }));
    const toast = await screen.findByTestId("undo-toast");
    expect(toast.textContent).toContain("Deleted “Keep me”.");
    expect(titles()).toEqual(["Newer", "Older"]);
    expect(screen.getByText("2 todos")).toBeTruthy();
    await user.click(within(toast).getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(titles()).toEqual(["Newer", "Keep me", "Older"]));
    expect(api.calls).toContain("PUT /api/todos/2");
    expect(api.todos.find((t) => t.id === 2)?.title).toBe("Keep me");
    expect(screen.queryByTestId("undo-toast")).toBeNull();
    expect(screen.getByText("3 todos")).toBeTruthy();
  });

  it("the undo toast leaves on its own after a few seconds, and says why an undo failed", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      const api = installFakeApi([todo({ id: 1, title: "Gone soon" }), todo({ id: 2, title: "Gone for good" })]);
      render(<TodoApp />);
      await screen.findByText("Gone soon");
      await user.click(screen.getByRole("button", { name: 'Delete "Gone soon"' }));
      await screen.findByTestId("undo-toast");
      await vi.advanceTimersByTimeAsync(9_000);
      expect(screen.queryByTestId("undo-toast")).toBeNull();

      await user.click(screen.getByRole("button", { name: 'Delete "Gone for good"' }));
      const toast = await screen.findByTestId("undo-toast");
      api.deleted.length = 0; // purged meanwhile
      await user.click(within(toast).getByRole("button", { name: "Undo" }));
      await waitFor(() => expect(toast.textContent).toContain("Could not undo: Todo 2 not found"));
      // An error stays until dismissed.
      await vi.advanceTimersByTimeAsync(20_000);
      expect(screen.getByTestId("undo-toast")).toBeTruthy();
      await user.click(within(toast).getByRole("button", { name: "Dismiss" }));
      expect(screen.queryByTestId("undo-toast")).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("a delete made with the keyboard moves the focus to Undo, and Undo hands it back", async () => {
    const user = userEvent.setup();
    installFakeApi([todo({ id: 1, title: "By keyboard" })]);
    render(<TodoApp />);
    await screen.findByText("By keyboard");
    screen.getByRole("button", { name: 'Delete "By keyboard"' }).focus();
    await user.keyboard("{Enter}");
    const undo = await within(await screen.findByTestId("undo-toast")).findByRole("button", { name: "Undo" });
    await waitFor(() => expect(document.activeElement).toBe(undo));
    await user.keyboard("{Enter}");
    await screen.findByText("By keyboard");
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Todos" }));
  });

  it("offers Undo for the assistant's deletes too", async () => {
    const user = userEvent.setup();
    const gone = todo({ id: 4, title: "Chat deleted" });
    const api = installFakeApi([gone]);
    api.chat = () => {
      api.deleted.push(...api.todos.splice(0, 1));
      return { status: 200, body: { reply: "Deleted", conversation_id: "c1", actions: [{ type: "deleted", todo_id: 4, todo: gone }], mode: "offline" } };
    };
    render(<TodoApp />);
    await screen.findByText("Chat deleted");
    await user.type(screen.getByLabelText("Message the assistant"), "delete 4{Enter}");
    const toast = await screen.findByTestId("undo-toast");
    await waitFor(() => expect(screen.queryByText("Chat deleted", { selector: "p" })).toBeNull());
    await user.click(within(toast).getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(titles()).toEqual(["Chat deleted"]));
  });

  it("resumes the stored conversation after a reload and continues it", async () => {
    const user = userEvent.setup();
    const api = installFakeApi();
    api.chat = (message) => ({ status: 200, body: { reply: `echo ${message}`, conversation_id: "conv-1", actions: [], mode: "offline" } });
    const first = render(<TodoApp />);
    await user.type(screen.getByLabelText("Message the assistant"), "first words{Enter}");
    await screen.findByText("echo first words");
    first.unmount(); // a reload: only localStorage survives

    const sent: (string | undefined)[] = [];
    api.chat = (message) => ({ status: 200, body: { reply: `echo ${message}`, conversation_id: "conv-1", actions: [], mode: "offline" } });
    const fetchSpy = vi.mocked(globalThis.fetch);
    render(<TodoApp />);
    const log = screen.getByRole("log");
    await waitFor(() => expect(within(log).getByText("first words")).toBeTruthy());
    expect(within(log).getByText("echo first words")).toBeTruthy();
    expect(api.calls).toContain("GET /api/chat/conversations/conv-1");
    await user.type(screen.getByLabelText("Message the assistant"), "second{Enter}");
    await screen.findByText("echo second");
    for (const [url, init] of fetchSpy.mock.calls) {
      if (String(url) === "/api/chat") sent.push(JSON.parse(String(init?.body)).conversation_id);
    }
    expect(sent.at(-1)).toBe("conv-1");

    // "New conversation" forgets it.
    await user.click(screen.getByRole("button", { name: "New conversation" }));
    expect(within(log).queryByText("first words")).toBeNull();
    expect(window.localStorage.getItem("todo-chatbot.conversation")).toBeNull();
  });

  it("forgets a stored conversation the server no longer has, and starts a new one", async () => {
    const user = userEvent.setup();
    window.localStorage.setItem("todo-chatbot.conversation", "gone-conversation");
    const api = installFakeApi();
    render(<TodoApp />);
    await waitFor(() => expect(api.calls).toContain("GET /api/chat/conversations/gone-conversation"));
    await waitFor(() => expect(window.localStorage.getItem("todo-chatbot.conversation")).toBeNull());
    expect(screen.queryByRole("log")!.querySelector('[data-role="error"]')).toBeNull();
    await user.type(screen.getByLabelText("Message the assistant"), "hi{Enter}");
    await screen.findByText("ok");
    expect(window.localStorage.getItem("todo-chatbot.conversation")).toBe("c1");
  });

  it("a turn whose stored conversation is gone goes on in a new one; a bad message keeps the conversation", async () => {
    const user = userEvent.setup();
    window.localStorage.setItem("todo-chatbot.conversation", "old-conv");
    const api = installFakeApi();
    api.conversations["old-conv"] = [{ role: "user", content: "earlier", created_at: "2026-01-01T00:00:00Z" }];
    const ids: (string | undefined)[] = [];
    let purged = false;
    // POST /api/chat as the backend answers it: 422 for the message, 404 for a purged conversation.
    const chat = (message: string, id: string | undefined) => {
      ids.push(id);
      if (message.includes("\u0007")) return { status: 422, body: { detail: [{ loc: ["body", "message"], msg: "control characters are not allowed" }] } };
      if (id === "old-conv" && purged) return { status: 404, body: { detail: "Conversation old-conv not found" } };
      return { status: 200, body: { reply: "ok", conversation_id: id ?? "new-conv", actions: [], mode: "offline" } };
    };
    const fake = globalThis.fetch;
    vi.stubGlobal("fetch", async (input: string, init?: RequestInit) => {
      if (String(input) === "/api/chat") {
        const body = JSON.parse(String(init?.body));
        const { status, body: out } = chat(body.message, body.conversation_id);
        return new Response(JSON.stringify(out), { status, headers: { "Content-Type": "application/json" } });
      }
      return fake(input, init);
    });
    render(<TodoApp />);
    await screen.findByText("earlier");
    const box = screen.getByLabelText("Message the assistant") as HTMLTextAreaElement;

    await user.type(box, "bad \u0007 text{Enter}");
    await screen.findByText("message: control characters are not allowed");
    expect(window.localStorage.getItem("todo-chatbot.conversation")).toBe("old-conv");
    expect(ids).toEqual(["old-conv"]);

    purged = true;
    await user.clear(box);
    await user.type(box, "hello again{Enter}");
    await screen.findByText("ok");
    expect(ids).toEqual(["old-conv", "old-conv", undefined]);
    expect(window.localStorage.getItem("todo-chatbot.conversation")).toBe("new-conv");
  });
});
