"""The states of a MARC batch and the actions on its records, shared by staging, commit and undo.

A batch is ``staging`` while its file is read, converted and matched, ``staged`` once every
record has a proposed action, ``committing`` while the commit writes the catalogue in chunks,
``committed`` after, ``undoing`` while an undo takes it back and ``undone`` after; ``failed``
when reading (or a commit, or an undo) stopped for good, with the reason in ``error``.
Batches imported before staged imports read as ``committed`` (migration 0012).
"""

from __future__ import annotations

STAGING = "staging"
STAGED = "staged"
COMMITTING = "committing"
COMMITTED = "committed"
UNDOING = "undoing"
UNDONE = "undone"
FAILED = "failed"
STATES = (STAGING, STAGED, COMMITTING, COMMITTED, UNDOING, UNDONE, FAILED)
# A workflow is at work on the batch: its report is still moving.
BUSY = frozenset({STAGING, COMMITTING, UNDOING})

# Proposed actions (``ImportOutcome.outcome``), what staging found.
CREATE = "create"
MERGE = "merge"
MULTI_MATCH = "multi_match"
DUPLICATE = "duplicate"
REJECTED = "rejected"
PROPOSED = (CREATE, MERGE, MULTI_MATCH, DUPLICATE, REJECTED)

# What a cataloguer may choose for a record (``ImportOutcome.action``).
REPLACE = "replace"
IGNORE = "ignore"
ACTIONS = (CREATE, MERGE, REPLACE, IGNORE)

# What the commit did (``ImportOutcome.applied``).
CREATED = "created"
MERGED = "merged"
REPLACED = "replaced"
IGNORED = "ignored"
SKIPPED = "skipped"  # its target record was gone by the time of the commit
APPLIED = (CREATED, MERGED, REPLACED, IGNORED, SKIPPED)

# What the undo did (``ImportOutcome.undone``).
REMOVED = "removed"
TAKEN_BACK = "taken_back"
RESTORED = "restored"
KEPT = "kept"

# Entries of ``record_history``.
HISTORY_IMPORTED = "imported"
HISTORY_MERGED = "merged"
HISTORY_REPLACED = "replaced"
HISTORY_UNDONE = "undone"


def default_action(proposed: str) -> str | None:
    """What the commit does with a record nobody decided on; None: it must be decided
    (a multi-match). A duplicate within the file and a rejected record are left out."""
    if proposed in (CREATE, MERGE):
        return proposed
    if proposed == MULTI_MATCH:
        return None
    return IGNORE
