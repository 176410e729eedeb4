"""Redis Streams event bus (consumer groups): built by the event-backbone issue."""
