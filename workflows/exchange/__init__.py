"""The exchange workflow: one run carries one exchange from proposal to its end."""
