// @vitest-environment jsdom
// The page's behaviour as a person uses it, against an in-memory /api.
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { TodoApp } from "@/components/TodoApp";
import { installFakeApi } from "../support/fakeApi";
import { todo } from "../support/fixtures";

afterEach(cleanup);

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
    // Shift+Enter makes a new line instead of sending.
    const box = screen.getByLabelText("Message the assistant") as HTMLTextAreaElement;
    await user.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(box.value).toBe("line one\nline two");
  });
});
