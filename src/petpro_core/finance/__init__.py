"""Finance context: the double-entry ledger fed by payment and order events.

Built by its own issue; the package exists so the architecture contracts cover it."""
