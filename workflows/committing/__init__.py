"""The commit of a staged MARC batch to the catalogue, and its undo: chunked workflows."""
