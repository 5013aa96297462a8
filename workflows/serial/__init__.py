"""Standing serial exchanges (issue 16): the issues each side sends every year.

``prediction`` predicts a year's issues from a title's pattern; ``rules`` says when an issue is
claimed, what an answer to a claim does and when the run wakes; ``workflow`` is the
``SerialExchangeWorkflow`` (one run per title and year, durable timers, continue-as-new into a
confirmed next year) and ``activities`` its database work (``service/serial_claims.py``).
"""
