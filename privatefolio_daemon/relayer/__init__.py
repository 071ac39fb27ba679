"""Time and queues: per-account task queues, scheduled jobs and the side effects of changes."""
