"""In-process fakes of the external services the bot talks to, for tests."""
