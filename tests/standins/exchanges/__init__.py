"""Fake exchange REST APIs on 127.0.0.1 that the real ccxt clients talk to."""
