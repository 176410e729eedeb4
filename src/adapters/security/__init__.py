"""Security adapters: password hashing (argon2id), password strength (zxcvbn), JWT tokens."""
