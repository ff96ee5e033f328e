"""The assistant's error type, apart from the Gemini client so that importing it (the API
and the chat service do) does not import google-genai, which alone takes most of a second:
a server without GEMINI_API_KEY, and every worker restart of `make dev`'s dev server, never
loads the SDK."""


class GeminiError(Exception):
    """A failed Gemini turn: `status` is the HTTP status our API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
