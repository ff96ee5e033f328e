"""The chat assistant: conversation storage, the Gemini loop and the offline assistant."""
