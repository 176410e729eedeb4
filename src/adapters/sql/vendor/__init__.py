"""SQL adapters of the vendor context."""
