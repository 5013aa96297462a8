"""The offer list workflow: one published list, its notices and its closing timer."""
