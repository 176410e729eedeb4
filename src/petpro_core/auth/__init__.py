"""Auth context: user identity, credentials and sessions, roles and permissions, pets."""
