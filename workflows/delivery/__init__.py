"""The webhook delivery workflow: one notice delivered to a partner, retried for days."""
