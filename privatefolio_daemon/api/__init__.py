"""The RPC method table: thin functions that validate params and call the domain."""
