"""Standing serial exchanges (issue 16): the issues each side sends every year.

Only the prediction of a year's issues is here so far (``prediction``); the workflow, its
activities, the tables, the API and the pages are still to be built.
"""
