"""The course's command line: build releases, grade a class, run the demo and the tests.

Run `python -m autograder --help`. The first call creates `.venv/` at the repository
root from `requirements.txt` and re-runs itself inside it.
"""

import sys

# nbgrader imports jsonschema, whose format checker imports `rfc3987_syntax` (a full IRI
# grammar) at start-up: about a second of every grading run, for a format ("iri") that no
# notebook or gradebook schema uses. Without it, jsonschema simply skips that format.
sys.modules.setdefault("rfc3987_syntax", None)
