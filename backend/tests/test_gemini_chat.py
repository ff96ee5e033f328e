"""/api/chat in Gemini mode: the real google-genai client against a local server that
speaks the generateContent REST API. Covers function-call turns, text answers, 429, 5xx,
timeouts and malformed calls, and that a failed turn leaves every todo unchanged."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests import fake_gemini as fg
from tests.conftest import MakeClient

API_KEY = "test-key-not-a-secret-0123456789"
MODEL = "gemini-test"


@pytest.fixture(scope="module")
def fake() -> Iterator[fg.FakeGemini]:
    server = fg.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def gemini(fake: fg.FakeGemini, make_client: MakeClient) -> Iterator[TestClient]:
    fake.requests.clear()
    while fake.unused_replies():
        fake.replies.get_nowait()
    client = make_client(
        gemini_api_key=API_KEY,
        gemini_model=MODEL,
        gemini_base_url=fake.base_url,
        gemini_timeout_seconds=10,  # generous: a loaded machine must not fail normal turns
        gemini_retry_attempts=1,
    )
    yield client
    assert fake.unused_replies() == 0, "a scripted Gemini reply was never requested"


def todos(client: TestClient) -> list[dict]:
    return client.get("/api/todos").json()["items"]


def test_assistant_reports_gemini_mode(gemini: TestClient) -> None:
    assert gemini.get("/api/assistant").json() == {"mode": "gemini", "model": MODEL}


def test_function_call_turn_then_answer(gemini: TestClient, fake: fg.FakeGemini) -> None:
    fake.script(
        fg.function_call("add_todo", {"title": "buy milk", "due_date": "2030-01-02"}, "call-1"),
        fg.text_answer("Added #1 buy milk for Jan 2."),
    )
    r = gemini.post("/api/chat", json={"message": "remind me to buy milk on jan 2 2030"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "gemini"
    assert body["reply"] == "Added #1 buy milk for Jan 2."
    [action] = body["actions"]
    assert action["type"] == "created"
    assert action["todo"]["title"] == "buy milk"
    assert action["todo"]["due_date"] == "2030-01-02"
    [todo] = todos(gemini)
    assert todo["id"] == action["todo_id"]

    # What the SDK really sent: the model path, the key header, the tools, and on the second
    # request our function response with the call's id.
    first, second = fake.requests
    assert first.path.endswith(f"/models/{MODEL}:generateContent")
    assert first.headers["x-goog-api-key"] == API_KEY
    declared = {d["name"] for d in first.body["tools"][0]["functionDeclarations"]}
    assert declared == {"add_todo", "list_todos", "update_todo", "complete_todo", "delete_todo"}
    assert "todo list" in first.body["systemInstruction"]["parts"][0]["text"]
    assert first.body["contents"][-1]["parts"][0]["text"].startswith("remind me")
    model_turn, tool_turn = second.body["contents"][-2:]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][0]["functionCall"]["name"] == "add_todo"
    response = tool_turn["parts"][0]["functionResponse"]
    assert response["name"] == "add_todo"
    assert response["id"] == "call-1"
    assert response["response"]["todo"]["id"] == todo["id"]


def test_several_tools_in_one_turn(gemini: TestClient, fake: fg.FakeGemini) -> None:
    a = gemini.post("/api/todos", json={"title": "water plants"}).json()
    b = gemini.post("/api/todos", json={"title": "old task"}).json()
    fake.script(
        fg.function_calls(
            ("complete_todo", {"id": a["id"]}),
            ("delete_todo", {"id": b["id"]}),
            ("update_todo", {"id": a["id"], "priority": "high", "due_date": ""}),
        ),
        fg.function_call("list_todos", {"status": "done"}),
        fg.text_answer("Done."),
    )
    body = gemini.post("/api/chat", json={"message": "tidy up"}).json()
    assert [x["type"] for x in body["actions"]] == ["completed", "deleted", "updated", "listed"]
    [left] = todos(gemini)
    assert left["id"] == a["id"]
    assert left["done"] is True
    assert left["priority"] == "high"
    listed = fake.requests[2].body["contents"][-1]["parts"][0]["functionResponse"]["response"]
    assert listed["total"] == 1
    assert listed["todos"][0]["id"] == a["id"]


def test_bad_tool_arguments_go_back_to_the_model(gemini: TestClient, fake: fg.FakeGemini) -> None:
    fake.script(
        fg.function_call("add_todo", {"title": "", "priority": "urgent"}),
        fg.function_call("complete_todo", {"id": 999}),
        fg.function_call("delete_todo", {"id": 10**12}),
        fg.function_call("update_todo", {"id": "seven", "title": "x"}),
        fg.text_answer("I could not do that."),
    )
    r = gemini.post("/api/chat", json={"message": "add an empty todo"})
    assert r.status_code == 200
    assert r.json()["actions"] == []
    assert todos(gemini) == []
    err1 = fake.requests[1].body["contents"][-1]["parts"][0]["functionResponse"]["response"]
    err2 = fake.requests[2].body["contents"][-1]["parts"][0]["functionResponse"]["response"]
    assert "title" in err1["error"]
    assert "priority" in err1["error"]
    assert err2 == {"error": "Todo 999 not found"}
    err3 = fake.requests[3].body["contents"][-1]["parts"][0]["functionResponse"]["response"]
    err4 = fake.requests[4].body["contents"][-1]["parts"][0]["functionResponse"]["response"]
    assert err3 == {"error": f"Todo {10**12} not found"}
    assert err4 == {"error": "id must be an integer"}


def test_hostile_tool_arguments_are_refused_like_api_input(
    gemini: TestClient, fake: fg.FakeGemini
) -> None:
    """The model's arguments obey the same text rules as the API's bodies: a NUL, a bidi
    override or a lone surrogate goes back to the model as an error, never a 500."""
    fake.script(
        fg.function_call("list_todos", {"query": "milk\x00"}),
        fg.function_call("add_todo", {"title": "pay\u202einvoice"}),
        fg.function_call("add_todo", {"title": "ok", "notes": "a\x00b"}),
        fg.function_call("list_todos", {"query": ["not", "text"]}),
        fg.text_answer("I could not do that."),
    )
    r = gemini.post("/api/chat", json={"message": "find milk"})
    assert r.status_code == 200, r.text
    assert todos(gemini) == []
    errors = [
        fake.requests[i].body["contents"][-1]["parts"][0]["functionResponse"]["response"]
        for i in range(1, 5)
    ]
    assert all("error" in e for e in errors), errors
    assert "control characters" in errors[0]["error"]
    assert "bidirectional" in errors[1]["error"]
    assert "notes" in errors[2]["error"]


def test_history_is_sent_on_the_next_turn(gemini: TestClient, fake: fg.FakeGemini) -> None:
    fake.script(fg.text_answer("Hello! How can I help?"), fg.text_answer("You said hi."))
    first = gemini.post("/api/chat", json={"message": "hi"}).json()
    r = gemini.post(
        "/api/chat",
        json={"message": "what did I say?", "conversation_id": first["conversation_id"]},
    )
    assert r.status_code == 200
    contents = fake.requests[1].body["contents"]
    assert [(c["role"], c["parts"][0]["text"]) for c in contents] == [
        ("user", "hi"),
        ("model", "Hello! How can I help?"),
        ("user", "what did I say?"),
    ]


@pytest.mark.parametrize(
    ("reply", "status", "words"),
    [
        (fg.error(429, "RESOURCE_EXHAUSTED", "quota"), 429, "rate limiting"),
        (fg.error(500, "INTERNAL", "boom"), 502, "Gemini failed (500"),
        (fg.error(503, "UNAVAILABLE", "overloaded"), 502, "Gemini failed (503"),
        (fg.error(504, "DEADLINE_EXCEEDED", "slow"), 504, "too long"),
        (fg.error(403, "PERMISSION_DENIED", "bad key"), 502, "refused this app's credentials"),
        (fg.error(404, "NOT_FOUND", "no such model"), 502, "doesn't offer the model"),
        (fg.malformed_function_call(), 502, "malformed tool call"),
        (fg.function_call("drop_database", {}), 502, "unknown tool 'drop_database'"),
        (fg.Reply(200, "this is not json"), 502, "could not be read"),
        (fg.model_parts([], finish="SAFETY"), 502, "empty answer"),
    ],
    ids=[
        "429",
        "500",
        "503",
        "504",
        "403",
        "404",
        "malformed-call",
        "unknown-tool",
        "not-json",
        "empty",
    ],
)
def test_gemini_failures(
    gemini: TestClient, fake: fg.FakeGemini, reply: fg.Reply, status: int, words: str
) -> None:
    fake.script(reply)
    r = gemini.post("/api/chat", json={"message": "add buy milk"})
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    assert API_KEY not in r.text


def test_timeout_is_504(fake: fg.FakeGemini, make_client: MakeClient) -> None:
    client = make_client(
        gemini_api_key=API_KEY,
        gemini_model=MODEL,
        gemini_base_url=fake.base_url,
        gemini_timeout_seconds=1,
        gemini_retry_attempts=1,
    )
    fake.script(fg.Reply(200, fg.text_answer("too late").body, delay=6))
    start = time.monotonic()
    r = client.post("/api/chat", json={"message": "add buy milk"})
    assert r.status_code == 504, r.text
    assert "too long" in r.json()["detail"]
    assert time.monotonic() - start < 5  # our 1 s timeout fired, not the server's answer
    assert todos(client) == []


def test_failure_mid_loop_changes_nothing(gemini: TestClient, fake: fg.FakeGemini) -> None:
    keep = gemini.post("/api/todos", json={"title": "keep me"}).json()
    fake.script(
        fg.function_calls(
            ("add_todo", {"title": "half done"}),
            ("update_todo", {"id": keep["id"], "title": "renamed"}),
            ("delete_todo", {"id": keep["id"]}),
        ),
        fg.error(500, "INTERNAL", "boom"),
    )
    r = gemini.post("/api/chat", json={"message": "do three things"})
    assert r.status_code == 502
    # The add, the rename and the delete were rolled back together; no conversation stored.
    assert todos(gemini) == [keep]


def test_failed_turn_does_not_store_messages(gemini: TestClient, fake: fg.FakeGemini) -> None:
    fake.script(fg.text_answer("first"), fg.error(429, "RESOURCE_EXHAUSTED", "quota"))
    conv = gemini.post("/api/chat", json={"message": "one"}).json()["conversation_id"]
    r = gemini.post("/api/chat", json={"message": "two", "conversation_id": conv})
    assert r.status_code == 429
    fake.script(fg.text_answer("third"))
    gemini.post("/api/chat", json={"message": "three", "conversation_id": conv})
    texts = [c["parts"][0]["text"] for c in fake.requests[-1].body["contents"]]
    assert texts == ["one", "first", "three"]


def test_runaway_tool_loop_is_stopped(fake: fg.FakeGemini, make_client: MakeClient) -> None:
    client = make_client(
        gemini_api_key=API_KEY,
        gemini_model=MODEL,
        gemini_base_url=fake.base_url,
        gemini_retry_attempts=1,
        chat_max_tool_rounds=3,
    )
    fake.requests.clear()
    fake.script(*[fg.function_call("add_todo", {"title": f"loop {i}"}) for i in range(3)])
    r = client.post("/api/chat", json={"message": "loop"})
    assert r.status_code == 502
    assert "3 rounds" in r.json()["detail"]
    assert todos(client) == []
    assert len(fake.requests) == 3


def test_transient_error_is_retried_when_configured(
    fake: fg.FakeGemini, make_client: MakeClient
) -> None:
    client = make_client(
        gemini_api_key=API_KEY,
        gemini_model=MODEL,
        gemini_base_url=fake.base_url,
        gemini_retry_attempts=2,
        gemini_retry_initial_delay_seconds=0,
    )
    fake.requests.clear()
    fake.script(fg.error(503, "UNAVAILABLE", "overloaded"), fg.text_answer("Hi!"))
    r = client.post("/api/chat", json={"message": "hello"})
    assert r.status_code == 200, r.text
    assert r.json()["reply"] == "Hi!"
    assert len(fake.requests) == 2


def test_unreachable_gemini_is_502(make_client: MakeClient) -> None:
    client = make_client(
        gemini_api_key=API_KEY,
        gemini_base_url="http://127.0.0.1:9/",  # discard port: nothing listens
        gemini_retry_attempts=1,
    )
    r = client.post("/api/chat", json={"message": "hello"})
    assert r.status_code == 502
    assert "Could not reach Gemini" in r.json()["detail"]
