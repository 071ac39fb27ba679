"""The WebSocket RPC protocol: frames, dialects, the method table, callbacks and subscriptions.

This package knows methods and frames, never portfolios.
"""
