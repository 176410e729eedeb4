"""Technology-neutral messaging machinery: the outbox and broker ports, the relay and the
consumer engines. The SQL, memory and Redis adapters implement the ports; runtimes wire
them together."""
