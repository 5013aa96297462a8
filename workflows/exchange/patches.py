"""The patches of the exchange and import workflows, and when each may go.

Changed logic sits behind ``workflow.patched(ID)`` so that runs started by older code replay;
each call stays exactly where it is in the sequence of commands. ``patched`` is False only
while replaying history written before the patch, so only runs started before it take the old
branch (the lifecycle check is made once, at a run's start, and holds for the whole run).

============================  ==================  ==============================================
Patch id                      Added               The old branch
============================  ==================  ==============================================
lifecycle-deadlines-claims    48b4482 2026-11-21  the whole run without deadlines, claims and
(``LIFECYCLE_PATCH``)                             notices; revise, cancel, loss and claims are
                                                  refused; it never continues as new
webhook-delivery              03dc396 2026-11-21  a notice is only written; no delivery workflow
(``WEBHOOK_PATCH``)
import-workflow               dea0b76 2026-11-21  a batch is imported by one ``import_marc_batch``
(``IMPORT_PATCH``)                                activity, not by an ``ImportWorkflow`` child
import-failure-recorded       issue 13 2026-12-01 an import that ends without a result (its
(``IMPORT_FAILURE_PATCH``)                        activity out of attempts, its child failed or
                                                  terminated) fails the exchange
import-chunk-failure          issue 13 2026-12-01 ``ImportWorkflow`` runs (count those): a chunk
(``importing.workflow.``                          out of attempts fails the import workflow and
``CHUNK_FAILURE_PATCH``)                          leaves its batch ``running``
commit-catalogues             issue 14 2026-12-01 an imported batch goes straight into the
(``COMMIT_PATCH``)                                catalogue: its result counts its records and
                                                  may make the exchange ``catalogued`` at once
                                                  (now it is staged, and the exchange waits for
                                                  the ``batch_committed`` signal of its commit)
staff-notices                 issue 15 2026-12-01 only the partner is notified; our staff get no
(``STAFF_NOTICE_PATCH``)                          notice of the partner's or the system's steps
                                                  (now a notice to our home code follows, with
                                                  a seq of its own, delivered by e-mail)
email-delivery                issue 15 2026-12-01 ``WebhookDeliveryWorkflow`` runs: only the
(``delivery.workflow.``                           webhook is delivered (now the e-mails go too,
``EMAIL_PATCH``)                                  by ``send_notice_emails`` beside it)
============================  ==================  ==============================================

A patch may go once no run started before the release carrying it was deployed is open (the
deployment time, no earlier than "Added"; a run counts from its own start, also after a
continue-as-new)::

    temporal workflow count --query "WorkflowType = 'ExchangeWorkflow' AND
        ExecutionStatus = 'Running' AND StartTime < '<deployed at>'"    # must say 0

Then two releases: first ``workflow.deprecate_patch(ID)`` replaces the ``patched`` check and only
the new branch is kept; once no run started before that release is open (the same query),
delete the call, the constant and the saved histories that predate it (``tests/histories``).
"""
