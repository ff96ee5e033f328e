"""Hostile and odd input: every value is stored exactly or refused with a 4xx naming the
field, never a 5xx. The rules are in app/text.py and backend/README.md ("Text rules")."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from fastapi.testclient import TestClient

CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
INVISIBLE_ONLY = ["\u200b", "\u00a0\u200b", "\u3164", "\ufeff", "\u2800 \u200d", "\u00ad\t"]


def post_raw(client: TestClient, path: str, raw: str | bytes):  # type: ignore[no-untyped-def]
    body = raw.encode() if isinstance(raw, str) else raw
    return client.post(path, content=body, headers={"content-type": "application/json"})


def refused_fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {".".join(str(p) for p in e["loc"]) for e in response.json()["detail"]}


def total(client: TestClient) -> int:
    return client.get("/api/todos").json()["total"]


def test_every_control_character_in_a_title_is_refused(client: TestClient) -> None:
    for ch in CONTROLS:
        r = client.post("/api/todos", json={"title": f"buy{ch}milk"})
        assert refused_fields(r) == {"body.title"}, repr(ch)
        assert "control characters" in r.json()["detail"][0]["msg"]
        assert f"U+{ord(ch):04X}" in r.json()["detail"][0]["msg"]
    assert total(client) == 0


def test_notes_keep_tabs_and_line_breaks_but_refuse_other_controls(client: TestClient) -> None:
    for brk in ("\n", "\r", "\t", "\u2028", "\u2029"):  # none of them in a one-line title
        assert refused_fields(client.post("/api/todos", json={"title": f"a{brk}b"})) == {
            "body.title"
        }
    text = "line one\r\n\tindented\nline three\u2028four"
    r = client.post("/api/todos", json={"title": "x", "notes": text})
    assert r.status_code == 201, r.text
    assert client.get(f"/api/todos/{r.json()['id']}").json()["notes"] == text
    for ch in CONTROLS:
        if ch in "\t\n\r":
            continue
        r = client.post("/api/todos", json={"title": "x", "notes": f"a{ch}b"})
        assert refused_fields(r) == {"body.notes"}, repr(ch)
    assert total(client) == 1


@pytest.mark.parametrize("field", ["title", "notes"])
def test_bidi_overrides_are_refused(client: TestClient, field: str) -> None:
    for ch in BIDI_CONTROLS:
        body = {"title": "x", field: f"invoice{ch}fdp.exe"}
        r = client.post("/api/todos", json=body)
        assert refused_fields(r) == {f"body.{field}"}, repr(ch)
        assert "bidirectional" in r.json()["detail"][0]["msg"]
    assert total(client) == 0


@pytest.mark.parametrize("title", INVISIBLE_ONLY)
def test_invisible_only_titles_are_refused(client: TestClient, title: str) -> None:
    r = client.post("/api/todos", json={"title": title})
    assert refused_fields(r) == {"body.title"}


@pytest.mark.parametrize(
    "title",
    [
        "שלום עולם",  # right-to-left text needs no override characters
        "مرحبا \u200f!",  # with a right-to-left mark
        "家族 👨\u200d👩\u200d👧 😀",  # zero-width joiners inside an emoji sequence
        "e\u0301te\u0301",  # combining accents
        "a\u00a0b",  # no-break space
        "\U0001f600" * 50,  # astral characters (surrogate pairs in JSON)
    ],
)
def test_real_world_text_is_stored_exactly(client: TestClient, title: str) -> None:
    r = client.post("/api/todos", json={"title": title, "notes": title})
    assert r.status_code == 201, r.text
    stored = client.get(f"/api/todos/{r.json()['id']}").json()
    assert (stored["title"], stored["notes"]) == (title, title)
    assert unicodedata.is_normalized("NFC", stored["title"]) == unicodedata.is_normalized(
        "NFC", title
    )  # not normalized behind the user's back


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"title": "a\\ud800b"}', "body.title"),
        ('{"title": "\\udfff"}', "body.title"),
        ('{"title": "ok", "notes": "\\ud83d"}', "body.notes"),
        ('{"title": "ok", "priority": "\\ud800"}', "body.priority"),  # echoed in the 422
        ('{"title": "ok", "due_date": "\\ud800"}', "body.due_date"),
    ],
)
def test_lone_surrogates_are_refused_not_500(client: TestClient, raw: str, field: str) -> None:
    r = post_raw(client, "/api/todos", raw)
    assert refused_fields(r) == {field}
    assert total(client) == 0


def test_nul_bytes_never_reach_the_database(client: TestClient) -> None:
    assert refused_fields(client.post("/api/todos", json={"title": "a\x00"})) == {"body.title"}
    r = client.post("/api/todos", json={"title": "ok", "notes": "\x00"})
    assert refused_fields(r) == {"body.notes"}
    assert refused_fields(client.get("/api/todos", params={"q": "milk\x00"})) == {"query.q"}
    assert refused_fields(client.post("/api/chat", json={"message": "add x\x00"})) == {
        "body.message"
    }
    r = client.post("/api/chat", json={"message": "hi", "conversation_id": "\x00"})
    assert refused_fields(r) == {"body.conversation_id"}
    todo = client.post("/api/todos", json={"title": "keep"}).json()
    r = client.patch(f"/api/todos/{todo['id']}", json={"title": "\x00"})
    assert refused_fields(r) == {"body.title"}
    assert client.get(f"/api/todos/{todo['id']}").json()["title"] == "keep"


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "1", "on", None])
def test_done_must_be_a_json_boolean(client: TestClient, value: object) -> None:
    assert refused_fields(client.post("/api/todos", json={"title": "x", "done": value})) == {
        "body.done"
    }
    todo = client.post("/api/todos", json={"title": "x"}).json()
    r = client.patch(f"/api/todos/{todo['id']}", json={"done": value})
    assert refused_fields(r) == {"body.done"}
    assert client.get(f"/api/todos/{todo['id']}").json()["done"] is False


def test_title_length_counts_what_was_sent(client: TestClient) -> None:
    # The schema says maxLength 200 for the title as sent; trimming happens afterwards.
    assert refused_fields(client.post("/api/todos", json={"title": " " + "x" * 200})) == {
        "body.title"
    }
    r = client.post("/api/todos", json={"title": "  buy milk  "})
    assert r.json()["title"] == "buy milk"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"title": "\xff\xfe"}',
        b"[" * 30_000,  # nesting deeper than the parser goes
        b'{"title": "x", "done": ' + b"9" * 5000 + b"}",  # longer than Python's int limit
    ],
    ids=["latin1", "bad-bytes", "deep", "long-number"],
)
def test_unreadable_bodies_are_400_naming_the_body(client: TestClient, raw: bytes) -> None:
    r = post_raw(client, "/api/todos", raw)
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("body: could not be read as JSON text in UTF-8")
    assert total(client) == 0


@pytest.mark.parametrize(
    "ctype",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonp",
    ],
)
def test_state_changing_requests_need_a_json_body(client: TestClient, ctype: str) -> None:
    todo = client.post("/api/todos", json={"title": "keep"}).json()
    body = json.dumps({"title": "cross-site"})
    for method, path in [
        ("POST", "/api/todos"),
        ("POST", "/api/chat"),
        ("PATCH", f"/api/todos/{todo['id']}"),
        ("PUT", f"/api/todos/{todo['id']}"),
        ("DELETE", f"/api/todos/{todo['id']}"),
    ]:
        r = client.request(method, path, content=body, headers={"content-type": ctype})
        assert r.status_code == 415, (method, path, r.text)
        assert "application/json" in r.json()["detail"]
    r = client.post("/api/chat", content='{"message":"delete 1"}')  # no content type at all
    assert r.status_code == 415
    assert client.get(f"/api/todos/{todo['id']}").json()["title"] == "keep"
    assert total(client) == 1


def test_json_with_charset_and_bodyless_delete_are_fine(client: TestClient) -> None:
    r = client.post(
        "/api/todos",
        content='{"title": "x"}',
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert r.status_code == 201, r.text
    assert client.delete(f"/api/todos/{r.json()['id']}").status_code == 204


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/todos", "GET, POST"),
        ("/api/todos/1", "DELETE, GET, PATCH, PUT"),
        ("/api/chat", "POST"),
        ("/healthz", "GET"),
    ],
)
def test_405_names_every_method_of_the_path(client: TestClient, path: str, allowed: str) -> None:
    for method in ("OPTIONS", "TRACE", "CONNECT", "HEAD"):
        r = client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] == allowed
        if method != "HEAD":
            assert r.json() == {"detail": "Method Not Allowed"}


def test_openapi_matches_validation(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    update = schemas["TodoUpdate"]["properties"]
    # Optional but not nullable, except due_date (null clears it).
    for name in ("title", "notes", "priority", "done"):
        assert "null" not in json.dumps(update[name]), name
    assert "null" in json.dumps(update["due_date"])
    create = schemas["TodoCreate"]["properties"]
    assert create["title"]["maxLength"] == 200
    assert re.fullmatch(create["title"]["pattern"], "buy milk")
    assert not re.search(create["title"]["pattern"], "buy\x00milk")
    assert create["done"]["type"] == "boolean"
    for path, method in [
        ("/api/todos", "post"),
        ("/api/todos/{todo_id}", "patch"),
        ("/api/todos/{todo_id}", "put"),
        ("/api/chat", "post"),
    ]:
        responses = spec["paths"][path][method]["responses"]
        assert {"400", "413", "415", "422"} <= set(responses), (path, method)
