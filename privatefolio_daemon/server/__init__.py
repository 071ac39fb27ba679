"""The aiohttp server: REST routes, the WebSocket RPC endpoint and the security gates.

It knows methods and frames, not portfolios.
"""
