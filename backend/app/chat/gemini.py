"""The Gemini assistant: google-genai with function calling, in a loop until the model
answers in text. Every tool runs in the caller's transaction, so when any call to Gemini
fails the whole turn is rolled back and no todo is half-changed."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app import todos
from app.chat.actions import ActionLog
from app.chat.errors import GeminiError
from app.db import database_deadline_paused
from app.models import Message
from app.schemas import TodoCreate, TodoOut, TodoUpdate
from app.settings import Settings
from app.text import SearchText

log = logging.getLogger("app.gemini")

try:  # google-genai sends with httpx2 when it is installed, else with httpx
    import httpx2

    _TIMEOUTS: tuple[type[BaseException], ...] = (httpx2.TimeoutException,)
    _TRANSPORT: tuple[type[BaseException], ...] = (httpx2.TransportError,)
except ImportError:  # pragma: no cover - depends on the installed extras
    _TIMEOUTS, _TRANSPORT = (), ()
try:
    import httpx

    _TIMEOUTS += (httpx.TimeoutException,)
    _TRANSPORT += (httpx.TransportError,)
except ImportError:  # pragma: no cover
    pass

# Retried by the SDK (bounded by GEMINI_RETRY_ATTEMPTS): transient statuses only.
RETRY_STATUSES = [408, 429, 500, 502, 503, 504]


SYSTEM_PROMPT = """You are the assistant of a todo list app. Today is {today}.
Use the tools to read and change the user's todos; never claim a change you did not make
with a tool. Users name todos by their title; they do not need to know ids. When the user
names a todo by its text, call list_todos with a query to find its id; if several match,
ask which one by listing their titles (with their ids as #N). Dates are YYYY-MM-DD. Keep
answers short and mention the titles (and #ids) of the todos you touched."""

_PRIORITY = {"type": "string", "enum": ["low", "medium", "high"]}
_ID = {"type": "integer", "description": "The todo's id."}
TOOLS = [
    types.FunctionDeclaration(
        name="add_todo",
        description="Create a todo.",
        parameters_json_schema={
            "type": "object",
            "properties": {
                "title": {"type": "string", "description": "Short title, at most 200 chars."},
                "notes": {"type": "string"},
                "due_date": {"type": "string", "description": "YYYY-MM-DD"},
                "priority": _PRIORITY,
            },
            "required": ["title"],
        },
    ),
    types.FunctionDeclaration(
        name="list_todos",
        description="List todos, newest first.",
        parameters_json_schema={
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["all", "active", "done"]},
                "query": {"type": "string", "description": "Text to search in title and notes."},
            },
        },
    ),
    types.FunctionDeclaration(
        name="update_todo",
        description="Change a todo's title, notes, due date or priority.",
        parameters_json_schema={
            "type": "object",
            "properties": {
                "id": _ID,
                "title": {"type": "string"},
                "notes": {"type": "string"},
                "due_date": {"type": "string", "description": "YYYY-MM-DD, or empty to clear."},
                "priority": _PRIORITY,
            },
            "required": ["id"],
        },
    ),
    types.FunctionDeclaration(
        name="complete_todo",
        description="Mark a todo done (or not done with done=false).",
        parameters_json_schema={
            "type": "object",
            "properties": {"id": _ID, "done": {"type": "boolean"}},
            "required": ["id"],
        },
    ),
    types.FunctionDeclaration(
        name="delete_todo",
        description="Delete a todo for good.",
        parameters_json_schema={
            "type": "object",
            "properties": {"id": _ID},
            "required": ["id"],
        },
    ),
]
TOOL_NAMES = {t.name for t in TOOLS}
# The model's search text obeys the same rules as GET /api/todos?q=.
_SEARCH: TypeAdapter[str | None] = TypeAdapter(SearchText | None)


def _brief(todo: TodoOut) -> dict[str, Any]:
    return todo.model_dump(mode="json", exclude={"created_at", "updated_at"})


def _field_errors(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())


def _todo_id(args: dict[str, Any]) -> int:
    raw = args.get("id")
    # JSON numbers from the model may arrive as floats (3.0); anything else is a bad call.
    if isinstance(raw, bool) or not isinstance(raw, int | float) or int(raw) != raw:
        raise ValueError("id must be an integer")
    return int(raw)


def run_tool(actions: ActionLog, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Runs one function call and returns the function response for the model. Bad
    arguments and unknown ids go back to the model as an error it can correct."""
    try:
        if name == "add_todo":
            body = TodoCreate.model_validate(args)
            return {
                "todo": _brief(
                    actions.create(
                        body.title, notes=body.notes, due_date=body.due_date, priority=body.priority
                    )
                )
            }
        if name == "list_todos":
            status = args.get("status") or "all"
            if status not in todos.STATUSES:
                raise ValueError("status must be all, active or done")
            query = _SEARCH.validate_python(args.get("query") or None)
            page = actions.list(status=status, q=query, limit=50)
            items = [_brief(TodoOut.model_validate(t)) for t in page.items]
            return {"total": page.total, "todos": items}
        if name == "update_todo":
            todo_id = _todo_id(args)
            fields = {k: v for k, v in args.items() if k != "id"}
            if fields.get("due_date") == "":
                fields["due_date"] = None
            changes = TodoUpdate.model_validate(fields).model_dump(exclude_unset=True)
            if not changes:
                raise ValueError("nothing to change: give title, notes, due_date or priority")
            return {"todo": _brief(actions.update(todo_id, changes))}
        if name == "complete_todo":
            done = args.get("done", True)
            if not isinstance(done, bool):
                raise ValueError("done must be true or false")
            return {"todo": _brief(actions.update(_todo_id(args), {"done": done}))}
        if name == "delete_todo":
            return {"deleted": _brief(actions.delete(_todo_id(args)))}
    except ValidationError as err:
        return {"error": f"invalid arguments: {_field_errors(err)}"}
    except (ValueError, todos.TodoNotFoundError) as err:
        return {"error": str(err)}
    raise GeminiError(502, f"Gemini called an unknown tool '{name}'; nothing was changed.")


class GeminiAssistant:
    def __init__(self, settings: Settings) -> None:
        assert settings.gemini_api_key is not None
        self.model = settings.gemini_model
        self.max_rounds = settings.chat_max_tool_rounds
        self.client = genai.Client(
            api_key=settings.gemini_api_key.get_secret_value(),
            http_options=types.HttpOptions(
                base_url=settings.gemini_base_url,
                timeout=int(settings.gemini_timeout_seconds * 1000),  # milliseconds
                # The SDK does not retry unless told to; bound it so errors surface quickly.
                retry_options=types.HttpRetryOptions(
                    attempts=settings.gemini_retry_attempts,
                    initial_delay=settings.gemini_retry_initial_delay_seconds,
                    max_delay=4.0,
                    http_status_codes=RETRY_STATUSES,
                ),
            ),
        )

    def close(self) -> None:
        self.client.close()

    def _config(self, today: date) -> types.GenerateContentConfig:
        return types.GenerateContentConfig(
            system_instruction=SYSTEM_PROMPT.format(today=today.isoformat()),
            tools=[types.Tool(function_declarations=TOOLS)],
            # We run the tools ourselves, inside the request's database transaction.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            temperature=0.2,
        )

    def _generate(
        self, contents: list[types.Content], config: types.GenerateContentConfig
    ) -> types.GenerateContentResponse:
        try:
            # The model's time is bounded by GEMINI_TIMEOUT_SECONDS, not the database's.
            with database_deadline_paused():
                return self.client.models.generate_content(
                    model=self.model, contents=contents, config=config
                )
        except genai_errors.APIError as err:
            log.warning("gemini error status=%s %s", err.code, err.status)
            if err.code == 429:
                raise GeminiError(
                    429, "Gemini is rate limiting this app right now; please try again in a minute."
                ) from None
            if err.code in (408, 504):
                raise GeminiError(
                    504, "Gemini took too long to answer; please try again."
                ) from None
            if err.code in (401, 403) or (err.code == 400 and "API key" in str(err.message)):
                log.error("gemini rejected GEMINI_API_KEY (status %s): set a valid key", err.code)
                raise GeminiError(
                    502,
                    "The AI service refused this app's credentials, so the assistant can't "
                    "work until an administrator fixes them; nothing was changed.",
                ) from None
            if err.code == 404:
                log.error("gemini does not know GEMINI_MODEL=%s: set an existing model", self.model)
                raise GeminiError(
                    502,
                    "The AI service doesn't offer the model this app is set up with, so the "
                    "assistant can't work until an administrator fixes it; nothing was changed.",
                ) from None
            raise GeminiError(
                502,
                f"Gemini failed ({err.code} {err.status or ''}".rstrip()
                + "); nothing was changed, please try again.",
            ) from None
        except _TIMEOUTS:
            log.warning("gemini timeout model=%s", self.model)
            raise GeminiError(
                504, "Gemini took too long to answer; nothing was changed, please try again."
            ) from None
        except _TRANSPORT as err:
            log.warning("gemini unreachable: %s", type(err).__name__)
            raise GeminiError(
                502, "Could not reach Gemini; nothing was changed, please try again."
            ) from None
        except (
            genai_errors.UnknownApiResponseError,
            ValidationError,
            json.JSONDecodeError,
            ValueError,
        ) as err:
            log.warning("gemini sent an unreadable response: %s", type(err).__name__)
            raise GeminiError(
                502, "Gemini sent a response that could not be read; nothing was changed."
            ) from None

    def respond(
        self, session: Session, history: list[Message], message: str, today: date
    ) -> tuple[str, ActionLog]:
        actions = ActionLog(session)
        contents = [
            types.Content(
                role="user" if m.role == "user" else "model", parts=[types.Part(text=m.content)]
            )
            for m in history
        ]
        contents.append(types.Content(role="user", parts=[types.Part(text=message)]))
        config = self._config(today)
        for _ in range(self.max_rounds):
            response = self._generate(contents, config)
            if not response.candidates:
                reason = response.prompt_feedback.block_reason if response.prompt_feedback else None
                raise GeminiError(
                    502,
                    f"Gemini returned no answer{f' (blocked: {reason})' if reason else ''}; "
                    "nothing was changed.",
                )
            candidate = response.candidates[0]
            finish = candidate.finish_reason
            if finish in (
                types.FinishReason.MALFORMED_FUNCTION_CALL,
                types.FinishReason.UNEXPECTED_TOOL_CALL,
            ):
                log.warning("gemini finish_reason=%s", finish)
                raise GeminiError(
                    502,
                    "Gemini produced a malformed tool call; nothing was changed, please rephrase.",
                )
            parts = (candidate.content.parts if candidate.content else None) or []
            calls = [p.function_call for p in parts if p.function_call]
            if not calls:
                text = "".join(p.text for p in parts if p.text and not p.thought).strip()
                if not text:
                    raise GeminiError(
                        502,
                        f"Gemini returned an empty answer (finish reason {finish}); "
                        "nothing was changed.",
                    )
                return text, actions
            contents.append(candidate.content)  # type: ignore[arg-type]  # keeps thought signatures
            results = []
            for call in calls:
                if not call.name or call.name not in TOOL_NAMES:
                    raise GeminiError(
                        502, f"Gemini called an unknown tool '{call.name}'; nothing was changed."
                    )
                args = call.args if isinstance(call.args, dict) else {}
                result = run_tool(actions, call.name, args)
                log.info("gemini tool=%s ok=%s", call.name, "error" not in result)
                results.append(
                    types.Part(
                        function_response=types.FunctionResponse(
                            id=call.id, name=call.name, response=result
                        )
                    )
                )
            contents.append(types.Content(role="user", parts=results))
        raise GeminiError(
            502,
            f"Gemini kept calling tools for {self.max_rounds} rounds without answering; "
            "nothing was changed.",
        )
