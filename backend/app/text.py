"""The rules for user text, in one place: reusable annotated string types for the API
schemas. Each rule is enforced by a validator whose message names the problem and the fix,
and is also published in the OpenAPI document as a `pattern`, so the contract says exactly
what the server accepts (the API fuzzer holds the server to it).

Rules (see backend/README.md, "Text rules"):
- Control characters (C0, DEL, C1) are refused: PostgreSQL text cannot hold NUL, and the
  others are invisible or rewrite terminals and logs. Multi-line fields (notes, chat
  messages) may contain tab, line feed and carriage return; single-line fields may not.
- Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069)
  are refused: they make text display in a different order than it is stored ("Trojan
  Source" spoofing). Implicit bidi (Arabic, Hebrew) and the LRM/RLM marks are fine.
- Lone surrogates (JSON "\\ud800") are refused: they are not characters and no database
  encoding can store them.
- A title or chat message must contain at least one visible character: whitespace and
  invisible format characters (zero-width spaces, joiners, fillers) alone are refused.
- Titles are trimmed of surrounding whitespace after validation; length limits count the
  text as sent, so what the schema says about length is exactly what is enforced.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.models import TITLE_MAX

NOTES_MAX = 10_000
CHAT_MAX = 2_000
SEARCH_MAX = 200

# Character classes, written so they mean the same in ECMA-262 (the OpenAPI `pattern`
# dialect) and in Python's re.
_LINE_BREAKS = r"\t\n\r\u2028\u2029"  # tab, LF, CR, Unicode line/paragraph separators
_OTHER_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
# Characters that show nothing on their own: format characters (soft hyphen, zero-width
# space/joiners, word joiner, BOM...), Hangul fillers, braille blank, variation selectors.
_INVISIBLE = (
    r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u2060-\u2065\u206a-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_SINGLE_LINE_BAD = _LINE_BREAKS + _OTHER_CONTROLS + _BIDI_CONTROLS
_MULTI_LINE_BAD = _OTHER_CONTROLS + _BIDI_CONTROLS
_VISIBLE = rf"[^\s{_SINGLE_LINE_BAD}{_INVISIBLE}]"

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_VISIBLE_RE = re.compile(_VISIBLE)


def _refuse(kind: str, message: str, ch: str, pos: int) -> PydanticCustomError:
    return PydanticCustomError(
        kind,
        message + " (found U+{code} at position {pos})",
        {"code": f"{ord(ch):04X}", "pos": pos},
    )


def _checker(bad_class: str, *, single_line: bool, visible: bool):  # type: ignore[no-untyped-def]
    bad = re.compile(f"[{bad_class}]")
    bidi = re.compile(f"[{_BIDI_CONTROLS}]")

    def check(value: str) -> str:
        if m := _SURROGATE.search(value):
            raise _refuse(
                "lone_surrogate",
                "must be valid Unicode text: remove the unpaired surrogate",
                m.group(),
                m.start(),
            )
        if m := bad.search(value):
            if bidi.match(m.group()):
                raise _refuse(
                    "bidi_control",
                    "must not contain bidirectional override or isolate characters; remove "
                    "them (right-to-left text itself is fine)",
                    m.group(),
                    m.start(),
                )
            allowed = "" if single_line else " other than tab and line breaks"
            line = " or line breaks" if single_line else ""
            raise _refuse(
                "control_character",
                f"must not contain control characters{line}{allowed}; remove them",
                m.group(),
                m.start(),
            )
        if visible and not _VISIBLE_RE.search(value):
            raise PydanticCustomError(
                "no_visible_text",
                "must contain some visible text, not only spaces or invisible characters",
            )
        return value

    return check


def _rules(*, multi_line: bool, visible: bool, min_length: int, max_length: int) -> tuple:
    """Pydantic metadata for one kind of text: length, the checks, the published pattern."""
    bad = _MULTI_LINE_BAD if multi_line else _SINGLE_LINE_BAD
    pattern = rf"^[^{bad}]*{_VISIBLE}[^{bad}]*$" if visible else rf"^[^{bad}]*$"
    return (
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_checker(bad, single_line=not multi_line, visible=visible)),
        Field(json_schema_extra={"pattern": pattern}),
    )


def _strip(value: str) -> str:
    return value.strip()


# A todo title: one line, visible, 1..200 characters as sent, stored trimmed.
Title = Annotated[
    str,
    *_rules(multi_line=False, visible=True, min_length=1, max_length=TITLE_MAX),
    AfterValidator(_strip),
]
# Todo notes: free multi-line text, may be empty, stored exactly as sent.
Notes = Annotated[str, *_rules(multi_line=True, visible=False, min_length=0, max_length=NOTES_MAX)]
# A chat message: multi-line, visible, stored exactly as sent.
ChatText = Annotated[str, *_rules(multi_line=True, visible=True, min_length=1, max_length=CHAT_MAX)]
# Search text: one line, may be empty or blank (= no filter).
SearchText = Annotated[
    str, *_rules(multi_line=False, visible=False, min_length=0, max_length=SEARCH_MAX)
]
