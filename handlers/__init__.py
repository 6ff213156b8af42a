"""Slack listeners: thin functions registered on the Bolt app, one `register(app, deps)` per module."""
