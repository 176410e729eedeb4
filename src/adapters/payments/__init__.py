"""Payment gateway adapters: a deterministic fake for tests, examples and the all-in-one mode."""
