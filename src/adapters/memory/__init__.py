"""In-memory adapters for every port: fast tests and runnable examples. Not durable."""
