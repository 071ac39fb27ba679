"""Data-source plug-ins: file importers, EVM chains, exchanges and price providers.

Sources never write SQL: they yield records, and the domain persists them.
"""
