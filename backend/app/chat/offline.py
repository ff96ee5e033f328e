"""The zero-setup assistant used when no GEMINI_API_KEY is set: a small deterministic
parser for plain commands ("add buy milk tomorrow", "show my todos", "mark 3 done",
"delete the milk one"). It refuses what it cannot do safely and says so."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from app import todos
from app.chat.actions import ActionLog
from app.loop_pool import Statements
from app.models import TITLE_MAX, Todo
from app.schemas import Action, TodoOut, TodoRow

# Said to end users once per conversation (its first reply), in their words: the variable
# that turns the AI model on (GEMINI_API_KEY) belongs in the logs and the README.
OFFLINE_NOTE = (
    "I'm the built-in assistant: the AI model isn't switched on for this app, "
    "so I understand simple commands only."
)
HELP = (
    "Try:\n"
    '  "add buy milk tomorrow" (also "... high priority", "... on friday", "... on 2030-01-31")\n'
    '  "show my todos" / "show done todos" / "show todos about milk"\n'
    '  "mark buy milk done" / "mark buy milk not done"\n'
    '  "delete the milk one"\n'
    '  "rename milk to buy oat milk" / "set priority of milk to high" / "move milk to monday"\n'
    "A todo can be named by a few words of its title or by its number (#12)."
)
LIST_SHOWN = 20

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WD = "|".join(WEEKDAYS)


@dataclass
class Command:
    kind: str  # add list complete reopen delete rename priority due help unknown refuse
    target: str = ""  # a todo reference: "3", "#3", "the milk one"
    title: str = ""
    due: date | None = None
    priority: str | None = None
    status: todos.Status = "all"
    query: str | None = None
    message: str = ""  # for refuse


# ---------------------------------------------------------------- dates and priorities


def parse_when(text: str, today: date) -> date | None:
    """A due date from a phrase: today, tomorrow, monday, next friday, in 3 days,
    2030-01-31, dec 3, 12/24. None when the phrase is not a date."""
    t = text.strip().lower()
    t = re.sub(r"^(on|by|due|for|until|before)\s+", "", t)
    if t in {"today", "tonight"}:
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    if t == "next week":
        return today + timedelta(days=7)
    m = re.fullmatch(rf"(?:next\s+|this\s+)?({_WD})", t)
    if m:
        ahead = (WEEKDAYS.index(m.group(1)) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = re.fullmatch(r"in\s+(\d{1,3})\s+(day|days|week|weeks|month|months)", t)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit.startswith("day"):
            return today + timedelta(days=n)
        if unit.startswith("week"):
            return today + timedelta(weeks=n)
        return today + relativedelta(months=n)
    # Only strings that look like a date: digits with separators or a month name.
    if not re.fullmatch(
        r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(/\d{2,4})?|"
        r"([a-z]{3,9}\.?\s+\d{1,2}(st|nd|rd|th)?(,?\s+\d{4})?)|(\d{1,2}(st|nd|rd|th)?\s+[a-z]{3,9}\.?(\s+\d{4})?)",
        t,
    ):
        return None
    try:
        parsed = dateparser.parse(t, default=datetime(today.year, today.month, today.day)).date()
    except (ValueError, OverflowError):
        return None
    if not re.search(r"\d{4}", t) and parsed < today:
        parsed = parsed + relativedelta(years=1)  # "dec 3" said in december 5th means next year
    return parsed


_PRIORITY_PATTERNS = [
    (re.compile(r"\s*[(\[]?\b(high|low|medium)\s+priority\b[)\]]?", re.I), 1),
    (re.compile(r"\s*\bpriority\s*[:=]?\s*(high|low|medium)\b", re.I), 1),
    (re.compile(r"\s*!(high|low|medium)\b", re.I), 1),
    (re.compile(r"\s*\b(urgent|asap)\b", re.I), 0),
]
_TRAILING_DATE = re.compile(
    rf"\s+((?:(?:on|by|due|for|until|before)\s+)?(?:today|tonight|tomorrow|next week|"
    rf"(?:next\s+|this\s+)?(?:{_WD})|in\s+\d{{1,3}}\s+(?:days?|weeks?|months?))|"
    rf"(?:on|by|due|for|until|before)\s+[\w/.,\- ]{{3,20}}|\d{{4}}-\d{{1,2}}-\d{{1,2}})$",
    re.I,
)


def split_title(text: str, today: date) -> tuple[str, date | None, str | None]:
    """'buy milk tomorrow high priority' -> ('buy milk', tomorrow, 'high')."""
    priority = None
    for pattern, group in _PRIORITY_PATTERNS:
        m = pattern.search(text)
        if m:
            priority = m.group(1).lower() if group else "high"
            text = (text[: m.start()] + text[m.end() :]).strip()
            break
    due = None
    padded = " " + text  # so a date that is the whole text still follows whitespace
    m = _TRAILING_DATE.search(padded)
    if m:
        due = parse_when(m.group(1), today)
        if due is not None:
            text = padded[: m.start()].strip()
    return text.strip(" ,;:-"), due, priority


# ---------------------------------------------------------------- the parser

_STATUS_WORDS = {
    "done": "done",
    "completed": "done",
    "complete": "done",
    "finished": "done",
    "active": "active",
    "open": "active",
    "pending": "active",
    "remaining": "active",
    "left": "active",
    "outstanding": "active",
    "unfinished": "active",
}
_DONE_WORDS = r"(?:done|complete|completed|finished)"
_UNDONE_WORDS = r"(?:not done|undone|not complete|incomplete|active|open|unfinished)"
_TOO_LONG = f"That title is too long: keep it under {TITLE_MAX} characters."
_EVERYTHING = re.compile(r"^(all|everything|every (todo|task)|all (my )?(todos|tasks))$", re.I)


def _match(pattern: str, text: str) -> re.Match[str] | None:
    return re.fullmatch(pattern, text, re.IGNORECASE)


def parse(text: str, today: date) -> Command:
    """Turns one message into a Command. Matching ignores case; titles keep theirs."""
    t = " ".join(text.split()).rstrip(".!? ")
    t = re.sub(r"^(please|hey|hi|ok|okay)[,\s]+", "", t, flags=re.I)
    t = re.sub(r"[,\s]+please$", "", t, flags=re.I)
    low = t.lower()

    if _match(r"help|\?|what can you do|commands|how does this work", t):
        return Command("help")

    if _match(r"add|create|new|remember to|remind me to", t):
        return Command("refuse", message='What should the todo say? For example: "add buy milk".')
    m = _match(
        r"(?:add|create|new|remember to|remind me to|todo:?|task:?)\s+"
        r"(?:(?:a|an|the|new)\s+)?(?:(?:todo|task|item)\b(?:\s+to\b)?[:\s]*)?(?P<rest>.*)",
        t,
    )
    if m:
        title, due, priority = split_title(m.group("rest"), today)
        if not title:
            return Command(
                "refuse", message='What should the todo say? For example: "add buy milk".'
            )
        if len(title) > TITLE_MAX:
            return Command("refuse", message=_TOO_LONG)
        return Command("add", title=title, due=due, priority=priority)

    listing = re.match(r"(show|list|display|view|see|what are|what's|whats|what is|get)\b", low)
    if (listing and re.search(r"\b(todos?|tasks?|list|to-?dos?|everything)\b", low)) or _match(
        r"(my )?(todos|tasks|todo list|list)", t
    ):
        status: todos.Status = "all"
        for word, st in _STATUS_WORDS.items():
            if re.search(rf"\b{word}\b", low):
                status = st  # type: ignore[assignment]
                break
        qm = re.search(r"\b(?:about|matching|containing|with|mentioning)\s+(.+)$", t, re.I)
        return Command("list", status=status, query=qm.group(1).strip(" '\"") if qm else None)

    if m := (
        _match(rf"(?:mark|set|flag)\s+(.+?)\s+(?:as\s+)?{_UNDONE_WORDS}", t)
        or _match(r"(?:reopen|uncheck|untick|undo)\s+(.+)", t)
    ):
        return Command("reopen", target=m.group(1))
    if m := (
        _match(rf"(?:mark|set|flag)\s+(.+?)\s+(?:as\s+)?{_DONE_WORDS}", t)
        or _match(r"(?:complete|finish|done|check off|tick off|check|tick)\s+(.+)", t)
        or _match(rf"(#?\d+|(?:the|todo|task)\s+.+?)\s+is\s+{_DONE_WORDS}", t)
    ):
        return Command("complete", target=m.group(1))

    if m := _match(r"(?:delete|remove|drop|cancel|forget|erase|clear)\s+(.+)", t):
        if _EVERYTHING.match(m.group(1)) or m.group(1).lower() in {"done", "completed", "all done"}:
            return Command(
                "refuse",
                message="I won't delete several todos at once. Delete them one at a time, "
                'by number: "delete 3".',
            )
        return Command("delete", target=m.group(1))

    if m := _match(r"(?:rename|retitle)\s+(.+?)\s+(?:to|as)\s+(.+)", t):
        new = m.group(2).strip(" '\"")
        if len(new) > TITLE_MAX:
            return Command("refuse", message=_TOO_LONG)
        return Command("rename", target=m.group(1), title=new)

    if m := (
        _match(
            r"(?:set|change|make)\s+(?:the\s+)?priority\s+(?:of\s+)?(.+?)\s+(?:to\s+)?(low|medium|high)",
            t,
        )
        or _match(r"(?:make|set)\s+(.+?)\s+(?:to\s+)?(low|medium|high)(?:\s+priority)?", t)
    ):
        return Command("priority", target=m.group(1), priority=m.group(2).lower())

    if m := (
        _match(r"(?:move|reschedule|postpone|push)\s+(.+?)\s+to\s+(.+)", t)
        or _match(r"(?:set|change)\s+(?:the\s+)?due(?:\s+date)?\s+(?:of\s+)?(.+?)\s+to\s+(.+)", t)
    ):
        due = parse_when(m.group(2), today)
        if due is None:
            return Command(
                "refuse",
                message=f"I don't understand the date '{m.group(2)}'. "
                "Try tomorrow, friday or 2030-01-31.",
            )
        return Command("due", target=m.group(1), due=due)

    return Command("unknown")


# ---------------------------------------------------------------- running a command


def describe(todo: TodoOut | Todo) -> str:
    return _describe(todo.id, todo.title, todo.due_date, todo.priority)


def describe_row(row: TodoRow) -> str:
    """describe() of a listed row, without making it a TodoOut first."""
    return _describe(row["id"], row["title"], row["due_date"], row["priority"])


def _describe(todo_id: int, title: str, due_date: date | None, priority: str) -> str:
    parts = [f"#{todo_id} {title}"]
    if due_date:
        parts.append(f"(due {due_date.isoformat()})")
    if priority != "medium":
        parts.append(f"[{priority}]")
    return " ".join(parts)


_FILLER = {"the", "a", "an", "my", "one", "todo", "task", "item", "about", "called", "named"}


def resolve(session: Session, ref: str) -> tuple[int | None, str]:
    """A todo id from its title ('buy milk', 'the milk one', 'milk bread') or its number
    ('#3', 'todo 3'); (None, reason) when not exactly one. Titles are matched as typed,
    then word by word; an exact title wins over partial matches."""
    r = ref.strip().strip("'\"").lower()
    r = re.sub(r"^(the|my|todo|task|item|number|no\.?)\s+", "", r)
    r = re.sub(r"^(todo|task|item|number)\s+", "", r)
    r = re.sub(r"\s+(one|todo|task|item)$", "", r).strip().strip("'\"")
    m = re.fullmatch(r"#?(\d{1,9})", r)
    if m:
        return int(m.group(1)), ""
    if not r:
        return None, "Which todo? Say a few words of its title, for example: buy milk."
    matches = todos.find_by_text(session, r)
    if not matches:
        words = [w for w in re.findall(r"\w+", r) if w not in _FILLER]
        if words:
            matches = todos.find_by_words(session, words)
    exact = [t for t in matches if t.title.lower() == r]
    if len(exact) == 1:
        return exact[0].id, ""
    if not matches:
        return None, f"I couldn't find a todo matching '{r}'."
    if len(matches) > 1:
        listed = "; ".join(describe(t) for t in matches[:5])
        return None, (
            f"Several todos match '{r}': {listed}. Which one? "
            "Say more of its title, or its number (like #12)."
        )
    return matches[0].id, ""


# The commands that change no todo: their turn reads at most one page of todos.
CHANGES_NOTHING = frozenset({"help", "unknown", "refuse", "list"})


def _said(cmd: Command) -> str | None:
    """The reply of a command that needs no todo at all."""
    if cmd.kind == "help":
        return HELP
    if cmd.kind == "unknown":
        return f"Sorry, I didn't understand that.\n{HELP}"
    if cmd.kind == "refuse":
        return cmd.message
    return None


def _listing(cmd: Command, page: todos.Page) -> str:
    which = {"all": "", "active": "active ", "done": "done "}[cmd.status]
    about = f" matching '{cmd.query}'" if cmd.query else ""
    if page.total == 0:
        return f"You have no {which}todos{about}."
    lines = [f"[{'x' if t['done'] else ' '}] {describe_row(t)}" for t in page.rows]
    more = f"\n... and {page.total - len(page.rows)} more." if page.total > len(page.rows) else ""
    noun = "todo" if page.total == 1 else "todos"
    return f"You have {page.total} {which}{noun}{about}:\n" + "\n".join(lines) + more


async def run_changing_nothing(pool: Statements, cmd: Command) -> tuple[str, list[Action]]:
    """run() for a command in CHANGES_NOTHING, on the loop pool (no session, no thread)."""
    said = _said(cmd)
    if said is not None:
        return said, []
    if cmd.kind != "list":
        raise ValueError(f"{cmd.kind} changes todos: it runs in a session (run)")
    page = await todos.list_page(pool, status=cmd.status, q=cmd.query, limit=LIST_SHOWN)
    return _listing(cmd, page), [Action(type="listed")]


def run(session: Session, cmd: Command) -> tuple[str, ActionLog]:
    """Executes a parsed command in the caller's transaction; returns the reply."""
    log = ActionLog(session)
    said = _said(cmd)
    if said is not None:
        return said, log
    if cmd.kind == "add":
        todo = log.create(cmd.title, due_date=cmd.due, priority=cmd.priority or "medium")
        return f"Added {describe(todo)}.", log
    if cmd.kind == "list":
        page = log.list(status=cmd.status, q=cmd.query, limit=LIST_SHOWN)
        return _listing(cmd, page), log

    todo_id, problem = resolve(session, cmd.target)
    if todo_id is None:
        return problem, log
    try:
        if cmd.kind == "complete":
            todo = log.update(todo_id, {"done": True})
            return f"Marked {describe(todo)} as done.", log
        if cmd.kind == "reopen":
            todo = log.update(todo_id, {"done": False})
            return f"Marked {describe(todo)} as not done.", log
        if cmd.kind == "delete":
            todo = log.delete(todo_id)
            return f"Deleted {describe(todo)}.", log
        if cmd.kind == "rename":
            todo = log.update(todo_id, {"title": cmd.title})
            return f"Renamed it: {describe(todo)}.", log
        if cmd.kind == "priority":
            todo = log.update(todo_id, {"priority": cmd.priority})
            return f"Set the priority of #{todo.id} {todo.title} to {todo.priority}.", log
        if cmd.kind == "due":
            todo = log.update(todo_id, {"due_date": cmd.due})
            return f"Moved {describe(todo)}.", log
    except todos.TodoNotFoundError as err:
        return f"{err}.", log
    raise AssertionError(f"unhandled command {cmd.kind}")


def respond(session: Session, cmd: Command, first_turn: bool) -> tuple[str, ActionLog]:
    """run(), and the note on a conversation's first turn."""
    reply, log = run(session, cmd)
    return with_note(reply, first_turn), log


def with_note(reply: str, first_turn: bool) -> str:
    """The reply, with what this assistant is on a conversation's first turn."""
    return f'{reply}\n\n({OFFLINE_NOTE} Say "help" for the list.)' if first_turn else reply
