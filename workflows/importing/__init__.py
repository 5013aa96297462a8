"""The import workflow: one MARC batch read, checked and stored in chunks."""
