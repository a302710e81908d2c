"""The course's command line: build releases, grade a class, run the demo and the tests.

Run `python -m autograder --help`. The first call creates `.venv/` at the repository
root from `requirements.txt` and re-runs itself inside it.
"""
