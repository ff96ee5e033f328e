"""/api/todos against a real database: CRUD, filters, search, paging, validation, 404s."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient


def create(client: TestClient, **fields: object) -> dict:
    r = client.post("/api/todos", json={"title": "t", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def error_fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {".".join(str(p) for p in e["loc"]) for e in response.json()["detail"]}


def test_create_with_defaults(client: TestClient) -> None:
    todo = create(client, title="  buy milk  ")
    assert set(todo) == {
        "id", "title", "notes", "due_date", "priority", "done", "created_at", "updated_at",
    }  # fmt: skip
    assert todo["title"] == "buy milk"
    assert (todo["notes"], todo["due_date"], todo["priority"], todo["done"]) == (
        "",
        None,
        "medium",
        False,
    )
    created = datetime.fromisoformat(todo["created_at"])
    assert created.tzinfo is not None
    assert todo["created_at"] == todo["updated_at"]
    assert client.get(f"/api/todos/{todo['id']}").json() == todo


def test_create_with_every_field(client: TestClient) -> None:
    todo = create(
        client,
        title="taxes",
        notes="forms A and B",
        due_date="2030-04-15",
        priority="high",
        done=True,
    )
    assert todo["notes"] == "forms A and B"
    assert todo["due_date"] == "2030-04-15"
    assert todo["priority"] == "high"
    assert todo["done"] is True


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"body.title"}),
        ({"title": ""}, {"body.title"}),
        ({"title": "   "}, {"body.title"}),
        ({"title": "x" * 201}, {"body.title"}),
        ({"title": "ok", "priority": "urgent"}, {"body.priority"}),
        ({"title": "ok", "due_date": "next week"}, {"body.due_date"}),
        ({"title": "ok", "due_date": "2030-02-30"}, {"body.due_date"}),
        ({"title": "ok", "done": "maybe"}, {"body.done"}),
        ({"title": "ok", "owner": "bob"}, {"body.owner"}),
        ({"title": 5, "priority": 1}, {"body.title", "body.priority"}),
    ],
    ids=[
        "missing-title",
        "empty-title",
        "blank-title",
        "long-title",
        "priority",
        "due-text",
        "due-invalid-day",
        "done",
        "unknown-field",
        "two-errors",
    ],
)
def test_create_validation(client: TestClient, body: dict, fields: set[str]) -> None:
    r = client.post("/api/todos", json=body)
    assert error_fields(r) == fields
    assert all(e["msg"] for e in r.json()["detail"])


@pytest.mark.parametrize(
    "due", ["tomorrow", "2030-1-5", "2030-02-30", "2030-01-31T10:00:00", 20300131]
)
def test_due_date_message_says_the_format(client: TestClient, due: object) -> None:
    r = client.post("/api/todos", json={"title": "x", "due_date": due})
    assert error_fields(r) == {"body.due_date"}
    assert "YYYY-MM-DD" in r.json()["detail"][0]["msg"]


def test_title_of_exactly_200_chars_is_fine(client: TestClient) -> None:
    assert create(client, title="x" * 200)["title"] == "x" * 200


def test_invalid_json_is_422(client: TestClient) -> None:
    r = client.post(
        "/api/todos", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_list_newest_first_with_paging(client: TestClient) -> None:
    ids = [create(client, title=f"todo {i}")["id"] for i in range(5)]
    body = client.get("/api/todos").json()
    assert [t["id"] for t in body["items"]] == ids[::-1]
    assert (body["total"], body["limit"], body["offset"]) == (5, 50, 0)
    page = client.get("/api/todos", params={"limit": 2, "offset": 2}).json()
    assert [t["id"] for t in page["items"]] == ids[::-1][2:4]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    beyond = client.get("/api/todos", params={"offset": 10}).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)


def test_list_filters_by_status(client: TestClient) -> None:
    a = create(client, title="open one")
    b = create(client, title="finished", done=True)
    assert [t["id"] for t in client.get("/api/todos?status=active").json()["items"]] == [a["id"]]
    assert [t["id"] for t in client.get("/api/todos?status=done").json()["items"]] == [b["id"]]
    assert client.get("/api/todos?status=all").json()["total"] == 2


def test_list_text_search(client: TestClient) -> None:
    milk = create(client, title="Buy MILK")
    notes = create(client, title="shopping", notes="oat milk and bread")
    create(client, title="call mom")
    percent = create(client, title="save 100% effort")
    found = client.get("/api/todos", params={"q": "milk"}).json()
    assert {t["id"] for t in found["items"]} == {milk["id"], notes["id"]}
    assert found["total"] == 2
    # LIKE wildcards in the query are literal text
    assert [t["id"] for t in client.get("/api/todos", params={"q": "%"}).json()["items"]] == [
        percent["id"]
    ]
    assert client.get("/api/todos", params={"q": "m_lk"}).json()["total"] == 0
    both = client.get("/api/todos", params={"q": "milk", "status": "done"}).json()
    assert both["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"status": "later"}, "query.status"),
        ({"limit": "ten"}, "query.limit"),
    ],
)
def test_list_validation(client: TestClient, params: dict, field: str) -> None:
    assert error_fields(client.get("/api/todos", params=params)) == {field}


def test_get_unknown_is_404(client: TestClient) -> None:
    r = client.get("/api/todos/42")
    assert r.status_code == 404
    assert r.json() == {"detail": "Todo 42 not found"}
    assert client.get("/api/todos/abc").status_code == 422


@pytest.mark.parametrize("todo_id", [0, -1, 2**31, 10**30])
def test_ids_out_of_range_are_404_not_500(client: TestClient, todo_id: int) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        body = {"json": {"done": True}} if method == "PATCH" else {}
        r = client.request(method, f"/api/todos/{todo_id}", **body)
        assert r.status_code == 404, (method, r.text)
        assert r.json() == {"detail": f"Todo {todo_id} not found"}


def test_patch_subset(client: TestClient) -> None:
    todo = create(client, title="draft", notes="n", due_date="2030-01-01", priority="low")
    r = client.patch(f"/api/todos/{todo['id']}", json={"title": "final", "done": True})
    assert r.status_code == 200, r.text
    new = r.json()
    assert (new["title"], new["done"], new["notes"], new["priority"], new["due_date"]) == (
        "final",
        True,
        "n",
        "low",
        "2030-01-01",
    )
    assert new["created_at"] == todo["created_at"]
    assert new["updated_at"] > todo["updated_at"]
    cleared = client.patch(f"/api/todos/{todo['id']}", json={"due_date": None}).json()
    assert cleared["due_date"] is None
    assert client.get(f"/api/todos/{todo['id']}").json() == cleared


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "body.title"),
        ({"title": ""}, "body.title"),
        ({"done": None}, "body.done"),
        ({"priority": "top"}, "body.priority"),
        ({"id": 7}, "body.id"),
    ],
)
def test_patch_validation(client: TestClient, body: dict, field: str) -> None:
    todo = create(client)
    assert error_fields(client.patch(f"/api/todos/{todo['id']}", json=body)) == {field}


def test_patch_unknown_is_404(client: TestClient) -> None:
    r = client.patch("/api/todos/9999", json={"done": True})
    assert r.status_code == 404
    assert r.json() == {"detail": "Todo 9999 not found"}


def test_delete(client: TestClient) -> None:
    todo = create(client)
    r = client.delete(f"/api/todos/{todo['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert client.get(f"/api/todos/{todo['id']}").status_code == 404
    assert client.delete(f"/api/todos/{todo['id']}").status_code == 404
