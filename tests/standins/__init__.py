"""Local stand-ins for network services, speaking the real protocols on 127.0.0.1."""
