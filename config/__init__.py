"""Settings read once from the environment, and logging set-up."""
