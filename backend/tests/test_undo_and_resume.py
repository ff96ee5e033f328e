"""What the UI needs after a mistake or a reload: undoing a delete brings back the same
todo, and a stored conversation can be read back."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from app.api.deps import services
from app.db import utcnow
from app.models import Todo


def create(client: TestClient, title: str) -> dict:
    r = client.post("/api/todos", json={"title": title})
    assert r.status_code == 201, r.text
    return r.json()


def ids(client: TestClient) -> list[int]:
    return [t["id"] for t in client.get("/api/todos").json()["items"]]


def test_restore_brings_back_the_same_todo_in_its_place(client: TestClient) -> None:
    first, middle, last = (create(client, t) for t in ("first", "middle", "last"))
    assert client.delete(f"/api/todos/{middle['id']}").status_code == 204
    assert ids(client) == [last["id"], first["id"]]
    assert client.get(f"/api/todos/{middle['id']}").status_code == 404
    assert client.patch(f"/api/todos/{middle['id']}", json={"done": True}).status_code == 404
    assert client.get("/api/todos", params={"q": "middle"}).json()["total"] == 0

    snapshot = {k: middle[k] for k in ("title", "notes", "due_date", "priority", "done")}
    r = client.put(f"/api/todos/{middle['id']}", json=snapshot)
    assert r.status_code == 200, r.text
    back = r.json()
    assert {k: back[k] for k in ("id", "created_at", *snapshot)} == {
        k: middle[k] for k in ("id", "created_at", *snapshot)
    }
    assert ids(client) == [last["id"], middle["id"], first["id"]]
    # A second undo (double click) is harmless; PUT on a live todo replaces its fields.
    assert client.put(f"/api/todos/{middle['id']}", json=snapshot).json()["id"] == middle["id"]
    assert client.get("/api/todos").json()["total"] == 3
    r = client.put(f"/api/todos/{first['id']}", json={"title": "renamed", "priority": "high"})
    assert (r.json()["title"], r.json()["priority"], r.json()["notes"]) == ("renamed", "high", "")


def test_restore_unknown_is_404(client: TestClient) -> None:
    r = client.put("/api/todos/424242", json={"title": "x"})
    assert r.status_code == 404
    assert r.json() == {"detail": "Todo 424242 not found"}


def test_chat_delete_can_be_undone(client: TestClient) -> None:
    todo = create(client, "call the plumber")
    r = client.post("/api/chat", json={"message": "delete the plumber one"}).json()
    assert [a["type"] for a in r["actions"]] == ["deleted"]
    assert r["actions"][0]["todo_id"] == todo["id"]
    assert client.put(f"/api/todos/{todo['id']}", json={"title": todo["title"]}).status_code == 200
    assert ids(client) == [todo["id"]]


def test_deleted_todos_are_purged_after_the_restore_window(
    client: TestClient, database_url: str
) -> None:
    old, recent = create(client, "old"), create(client, "recent")
    client.delete(f"/api/todos/{old['id']}")
    with services(client.app).sessions() as session:  # deleted 8 days ago
        session.execute(
            update(Todo).where(Todo.id == old["id"]).values(deleted_at=utcnow() - timedelta(days=8))
        )
        session.commit()
    client.delete(f"/api/todos/{recent['id']}")  # any delete purges what is too old
    assert client.put(f"/api/todos/{old['id']}", json={"title": "old"}).status_code == 404
    assert client.put(f"/api/todos/{recent['id']}", json={"title": "recent"}).status_code == 200


def test_a_stored_conversation_can_be_read_back(client: TestClient) -> None:
    first = client.post("/api/chat", json={"message": "add buy milk"}).json()
    conv = first["conversation_id"]
    client.post("/api/chat", json={"message": "show my todos", "conversation_id": conv})
    r = client.get(f"/api/chat/conversations/{conv}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == conv
    assert [(m["role"], m["content"][:12]) for m in body["messages"]] == [
        ("user", "add buy milk"[:12]),
        ("assistant", first["reply"][:12]),
        ("user", "show my todos"[:12]),
        ("assistant", "You have 1 t"),
    ]
    assert all(m["created_at"] for m in body["messages"])
    # The same id in upper case is the same conversation.
    assert client.get(f"/api/chat/conversations/{conv.upper()}").json()["id"] == conv


def test_unknown_or_malformed_conversation(client: TestClient) -> None:
    r = client.get(f"/api/chat/conversations/{uuid.uuid4()}")
    assert r.status_code == 404
    assert "leave conversation_id out" in r.json()["detail"]
    r = client.get("/api/chat/conversations/not-a-uuid")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "conversation_id"]
