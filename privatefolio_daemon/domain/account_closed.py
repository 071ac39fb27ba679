"""What the tasks an account's close cuts off read: the running one is aborted, and the queued
ones are cancelled, with their callers told, since the account may open again at once (a rename,
a restore)."""

ACCOUNT_CLOSED = "the account was closed (renamed, reset, restored or deleted)."
CANCELLED_BY_CLOSE = f"Task cancelled: {ACCOUNT_CLOSED}"
