"""The offline assistant: a table of commands and what they parse to, a table of what it
refuses, and whole conversations through /api/chat on the real database."""

from __future__ import annotations

import logging
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from app.api.deps import services
from app.chat.offline import OFFLINE_NOTE, Command, parse, parse_when
from app.loop_pool import Statement
from app.models import Conversation, Message
from tests.conftest import MakeClient

TODAY = date(2026, 11, 23)  # a Monday


def C(kind: str, **kw: object) -> Command:  # noqa: N802 - reads like a constructor
    return Command(kind, **kw)  # type: ignore[arg-type]


COMMANDS = [
    ("add buy milk", C("add", title="buy milk")),
    ("add buy milk tomorrow", C("add", title="buy milk", due=date(2026, 11, 24))),
    ("Add Call Mom on Friday", C("add", title="Call Mom", due=date(2026, 11, 27))),
    ("add call mom monday", C("add", title="call mom", due=date(2026, 11, 30))),
    ("add report next friday!", C("add", title="report", due=date(2026, 11, 27))),
    ("add pay rent on dec 1", C("add", title="pay rent", due=date(2026, 12, 1))),
    ("add file taxes by jan 15", C("add", title="file taxes", due=date(2027, 1, 15))),
    ("add renew passport 2030-05-01", C("add", title="renew passport", due=date(2030, 5, 1))),
    ("please add water plants in 3 days", C("add", title="water plants", due=date(2026, 11, 26))),
    ("add read 1984", C("add", title="read 1984")),
    ("add fix bug high priority", C("add", title="fix bug", priority="high")),
    ("add fix bug !low today", C("add", title="fix bug", due=TODAY, priority="low")),
    ("add urgent: call the bank", C("add", title="call the bank", priority="high")),
    ("create a todo to book flights", C("add", title="book flights")),
    ("remind me to stretch tonight", C("add", title="stretch", due=TODAY)),
    ("new task: Write README", C("add", title="Write README")),
    ("show my todos", C("list")),
    ("list", C("list")),
    ("todos", C("list")),
    ("What are my todos?", C("list")),
    ("show done todos", C("list", status="done")),
    ("list completed tasks", C("list", status="done")),
    ("show my open tasks", C("list", status="active")),
    ("what's left on my list", C("list", status="active")),
    ("show todos about milk", C("list", query="milk")),
    ("mark 3 done", C("complete", target="3")),
    ("mark #3 as complete", C("complete", target="#3")),
    ("complete 12", C("complete", target="12")),
    ("done 4", C("complete", target="4")),
    ("3 is done", C("complete", target="3")),
    ("mark the milk one as done", C("complete", target="the milk one")),
    ("finish the report", C("complete", target="the report")),
    ("mark 3 not done", C("reopen", target="3")),
    ("reopen 3", C("reopen", target="3")),
    ("delete 3", C("delete", target="3")),
    ("delete the milk one", C("delete", target="the milk one")),
    ("remove todo 8", C("delete", target="todo 8")),
    ("rename 3 to Buy Oat Milk", C("rename", target="3", title="Buy Oat Milk")),
    ("set priority of 3 to high", C("priority", target="3", priority="high")),
    ("make 3 low priority", C("priority", target="3", priority="low")),
    ("move 3 to monday", C("due", target="3", due=date(2026, 11, 30))),
    ("reschedule the report to 2030-01-31", C("due", target="the report", due=date(2030, 1, 31))),
    ("help", C("help")),
    ("what can you do?", C("help")),
    ("tell me a joke", C("unknown")),
    ("what is the capital of France", C("unknown")),
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_parse(text: str, expected: Command) -> None:
    assert parse(text, TODAY) == expected


REFUSALS = [
    ("add", "What should the todo say?"),
    ("add tomorrow", "What should the todo say?"),
    ("delete all", "won't delete several todos at once"),
    ("delete everything", "won't delete several todos at once"),
    ("remove all my todos", "won't delete several todos at once"),
    ("clear done", "won't delete several todos at once"),
    ("move 3 to someday", "don't understand the date 'someday'"),
    ("add " + "x" * 201, "too long"),
]


@pytest.mark.parametrize(("text", "words"), REFUSALS, ids=[r[0][:30] for r in REFUSALS])
def test_refusals(text: str, words: str) -> None:
    cmd = parse(text, TODAY)
    assert cmd.kind == "refuse"
    assert words in cmd.message


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", TODAY),
        ("on sunday", date(2026, 11, 29)),
        ("monday", date(2026, 11, 30)),  # a weekday named on that weekday means next week
        ("in 2 weeks", date(2026, 12, 7)),
        ("in 1 month", date(2026, 12, 23)),
        ("12/24", date(2026, 12, 24)),
        ("nov 1", date(2027, 11, 1)),  # already past this year
        ("by 2031-02-03", date(2031, 2, 3)),
        ("someday", None),
        ("1984", None),
        ("2030-02-30", None),
    ],
)
def test_parse_when(phrase: str, expected: date | None) -> None:
    assert parse_when(phrase, TODAY) == expected


# ---------------------------------------------------------------- through the API


def say(client: TestClient, message: str, conversation_id: str | None = None) -> dict:
    body = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    r = client.post("/api/chat", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["mode"] == "offline"
    return out


def test_assistant_reports_offline_mode(client: TestClient) -> None:
    assert client.get("/api/assistant").json() == {"mode": "offline", "model": None}


def test_conversation_add_list_complete_delete(client: TestClient) -> None:
    first = say(client, "add buy milk tomorrow high priority")
    conv = first["conversation_id"]
    assert OFFLINE_NOTE in first["reply"], "says clearly that it runs without Gemini"
    [created] = first["actions"]
    assert created["type"] == "created"
    milk = created["todo"]
    assert (milk["title"], milk["priority"]) == ("buy milk", "high")
    assert milk["due_date"] is not None
    assert client.get(f"/api/todos/{milk['id']}").json() == milk

    second = say(client, "add call mom", conv)
    assert second["conversation_id"] == conv
    assert OFFLINE_NOTE not in second["reply"]  # only the first turn repeats the note
    mom = second["actions"][0]["todo"]

    listing = say(client, "show my todos", conv)
    assert listing["actions"] == [{"type": "listed", "todo_id": None, "todo": None}]
    assert "You have 2 todos" in listing["reply"]
    assert listing["reply"].index("call mom") < listing["reply"].index("buy milk")

    done = say(client, f"mark {mom['id']} done", conv)
    assert done["actions"][0]["type"] == "completed"
    assert done["actions"][0]["todo"]["done"] is True
    assert client.get(f"/api/todos/{mom['id']}").json()["done"] is True
    assert "You have 1 active todo:" in say(client, "show active todos", conv)["reply"]

    deleted = say(client, "delete the milk one", conv)
    assert deleted["actions"][0] == {"type": "deleted", "todo_id": milk["id"], "todo": milk}
    assert client.get(f"/api/todos/{milk['id']}").status_code == 404

    with services(client.app).sessions() as session:
        stored = session.scalar(
            select(func.count()).select_from(Message).where(Message.conversation_id == conv)
        )
    assert stored == 12  # six turns, user + assistant each


def test_ambiguous_and_missing_references_change_nothing(client: TestClient) -> None:
    a = say(client, "add buy milk")["actions"][0]["todo"]
    b = say(client, "add milk the cow")["actions"][0]["todo"]
    r = say(client, "delete the milk one")
    assert r["actions"] == []
    assert "Several todos match 'milk'" in r["reply"]
    assert f"#{a['id']}" in r["reply"]
    assert f"#{b['id']}" in r["reply"]
    assert client.get("/api/todos").json()["total"] == 2

    r = say(client, "delete the bread one")
    assert r["actions"] == []
    assert "couldn't find a todo matching 'bread'" in r["reply"]
    r = say(client, "mark 9999 done")
    assert r["actions"] == []
    assert "Todo 9999 not found" in r["reply"]
    r = say(client, "delete everything")
    assert r["actions"] == []
    assert client.get("/api/todos").json()["total"] == 2


def test_rename_priority_and_due(client: TestClient) -> None:
    todo = say(client, "add report")["actions"][0]["todo"]
    tid = todo["id"]
    assert say(client, f"rename {tid} to Quarterly Report")["actions"][0]["todo"]["title"] == (
        "Quarterly Report"
    )
    assert say(client, f"set priority of {tid} to low")["actions"][0]["todo"]["priority"] == "low"
    moved = say(client, f"move {tid} to 2030-06-01")["actions"][0]
    assert moved["type"] == "updated"
    assert moved["todo"]["due_date"] == "2030-06-01"


def test_unknown_command_explains_itself(client: TestClient) -> None:
    r = say(client, "tell me a joke")
    assert r["actions"] == []
    assert "didn't understand" in r["reply"]
    assert "add buy milk tomorrow" in r["reply"]


def test_offline_note_is_in_user_words_and_said_once(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    replies = []
    conv = None
    for message in ("help", "tell me a joke", "add tea", "help", "what?", "show my todos"):
        out = say(client, message, conv)
        conv = out["conversation_id"]
        replies.append(out["reply"])
    text = "\n".join(replies)
    assert text.count(OFFLINE_NOTE) == 1, "said once per conversation, on the first reply"
    for word in ("GEMINI", "API_KEY", "API key", "environment", "variable", "configured"):
        assert word not in text, word
    # The operator still learns the variable's name, from the log and the README.
    from app.factory import create_app
    from tests.conftest import test_settings

    caplog.set_level(logging.INFO, logger="app")
    with TestClient(create_app(test_settings(str(services(client.app).settings.database_url)))):
        pass
    assert "GEMINI_API_KEY not set" in caplog.text


def test_todos_are_found_by_their_title(client: TestClient) -> None:
    milk = say(client, "add buy milk")["actions"][0]["todo"]
    more = say(client, "add buy milk and bread")["actions"][0]["todo"]
    call = say(client, "add call the dentist about the filling")["actions"][0]["todo"]
    # An exact title wins over titles that merely contain it.
    r = say(client, "mark buy milk done")
    assert [(a["type"], a["todo_id"]) for a in r["actions"]] == [("completed", milk["id"])]
    # Words in another order, with filler words, still find the one todo.
    r = say(client, "mark dentist filling as done")
    assert [(a["type"], a["todo_id"]) for a in r["actions"]] == [("completed", call["id"])]
    r = say(client, "rename the bread one to buy milk, bread and eggs")
    assert r["actions"][0]["todo_id"] == more["id"]
    # Ambiguity is answered with titles and numbers, and changes nothing.
    r = say(client, "delete milk")
    assert r["actions"] == []
    assert "Which one?" in r["reply"]
    assert f"#{milk['id']}" in r["reply"]
    # The number shown as #N works too.
    r = say(client, f"delete #{more['id']}")
    assert r["actions"][0]["todo_id"] == more["id"]


def test_unknown_conversation_is_404(client: TestClient) -> None:
    r = client.post(
        "/api/chat",
        json={"message": "hi", "conversation_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert r.status_code == 404
    assert "Conversation 00000000-0000-0000-0000-000000000000 not found" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.message"),
        ({"message": ""}, "body.message"),
        ({"message": "   "}, "body.message"),
        ({"message": "x" * 2001}, "body.message"),
        ({"message": "hi", "conversation_id": "x" * 37}, "body.conversation_id"),
    ],
)
def test_chat_validation(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/api/chat", json=body)
    assert r.status_code == 422
    assert [".".join(map(str, e["loc"])) for e in r.json()["detail"]] == [field]


def test_another_replica_continues_the_conversation(make_client: MakeClient) -> None:
    """Two app instances on one database, like two pods: state lives in the database only."""
    replica_a, replica_b = make_client(), make_client()
    first = say(replica_a, "add buy milk")
    conv = first["conversation_id"]
    second = say(replica_b, "show my todos", conv)
    assert second["conversation_id"] == conv
    assert "buy milk" in second["reply"]
    assert OFFLINE_NOTE not in second["reply"]  # replica B saw the earlier turn


def test_listing_describes_each_todo(client: TestClient) -> None:
    """The listing reply is written from the listed rows: number, title, due date,
    priority when not medium, [x] for done; newest first. The stored conversation has the
    user's message first."""
    rent = client.post(
        "/api/todos", json={"title": "pay rent", "due_date": "2030-01-31", "priority": "high"}
    ).json()
    mom = client.post("/api/todos", json={"title": "call mom"}).json()
    client.patch(f"/api/todos/{mom['id']}", json={"done": True})
    out = say(client, "show my todos")
    assert out["actions"] == [{"type": "listed", "todo_id": None, "todo": None}]
    assert out["reply"] == (
        f"You have 2 todos:\n[x] #{mom['id']} call mom\n"
        f"[ ] #{rent['id']} pay rent (due 2030-01-31) [high]"
        f'\n\n({OFFLINE_NOTE} Say "help" for the list.)'
    )
    stored = client.get(f"/api/chat/conversations/{out['conversation_id']}").json()
    assert [(m["role"], m["content"]) for m in stored["messages"]] == [
        ("user", "show my todos"),
        ("assistant", out["reply"]),
    ]


def test_a_turn_that_fails_storing_its_messages_stores_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assistant's change, the new conversation and both messages are one transaction:
    a database error on the last statement of the turn leaves none of them."""
    from app.chat import service

    broken = insert(Message.__table__).values(  # role 'system' breaks the role check
        conversation_id=bindparam("conv_id"),
        role="system",
        content=bindparam("user"),
        created_at=bindparam("now"),
    )
    monkeypatch.setattr(service, "_TWO_MESSAGES", broken)
    # On PostgreSQL the conversation and the messages are one statement: broken the same way.
    monkeypatch.setattr(service, "_WRITE_TURN", service.turn_writes(broken))
    with pytest.raises(IntegrityError):
        client.post("/api/chat", json={"message": "add buy milk"})
    assert client.get("/api/todos").json()["total"] == 0
    with services(client.app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.postgres_only
def test_a_listing_turn_on_the_loop_that_fails_storing_its_messages_stores_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A turn that changes no todo runs on the loop pool without a transaction: its
    conversation and both messages are one statement, so a failure stores none of them."""
    from app.chat import service

    broken = insert(Message.__table__).values(  # role 'system' breaks the role check
        conversation_id=bindparam("conv_id"),
        role="system",
        content=bindparam("user"),
        created_at=bindparam("now"),
    )
    on_the_loop = {new: Statement.of(w) for new, w in service.turn_writes(broken).items()}
    monkeypatch.setattr(service, "_WRITE_TURN_ON_THE_LOOP", on_the_loop)
    with pytest.raises(psycopg.IntegrityError):
        client.post("/api/chat", json={"message": "show my todos"})
    with services(client.app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.postgres_only
def test_turns_on_the_loop_answer_and_store_as_turns_in_a_session(client: TestClient) -> None:
    """The offline turns that change no todo run on the loop pool; the same messages in a
    session (the path every other turn takes) give the same replies, actions and stored
    messages: first and later turns, each listing, help, and what is not understood."""
    for body in [{"title": "pay rent", "due_date": "2030-01-31", "priority": "high"},
                 {"title": "buy milk"}, {"title": "call mom", "done": True}]:  # fmt: skip
        assert client.post("/api/todos", json=body).status_code == 201
    messages = ["show my todos", "show done todos", "show active todos", "show todos about milk",
                "show todos about nothing here", "help", "tell me a joke"]  # fmt: skip
    chat = services(client.app).chat
    assert chat.loop_pool is not None

    def conversation() -> tuple[list[tuple[str, list]], list[tuple[str, str]]]:
        turns, conv = [], None
        for message in messages:
            out = say(client, message, conv)
            conv = out["conversation_id"]
            turns.append((out["reply"], out["actions"]))
        stored = client.get(f"/api/chat/conversations/{conv}").json()["messages"]
        return turns, [(m["role"], m["content"]) for m in stored]

    on_the_loop = conversation()
    chat.loop_pool, pool = None, chat.loop_pool  # every turn in a session
    try:
        in_a_session = conversation()
    finally:
        chat.loop_pool = pool
    assert on_the_loop == in_a_session
