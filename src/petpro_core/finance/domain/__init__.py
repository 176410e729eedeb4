"""The finance context's domain: accounts, the double-entry ledger, posting rules, reports
and reconciliation (pure functions over immutable values)."""
