"""The fast tier: service tests on a real database, workflow rules, without uvicorn."""
