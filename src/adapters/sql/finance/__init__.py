"""SQL adapters of the finance context (schema `finance`)."""
