"""Users, roles, password hashing, web sessions and API tokens.

Secrets are never stored: passwords as argon2 hashes, session and API tokens
as SHA-256 digests of random values the client alone holds.
"""
