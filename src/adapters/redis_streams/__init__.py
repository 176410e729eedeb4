"""The Broker port on Redis Streams with consumer groups (`broker.RedisStreamsBroker`)."""
