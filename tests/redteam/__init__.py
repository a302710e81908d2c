"""Red-team suite helpers: hostile submissions, batches that grade them, and what to look for.

- `snippets`: code a hostile student pastes into answer cells (forged replies, memory
  scavenging, probes of the sandbox), as plain strings;
- `harness`: building submissions, grading one batch (jobs=1, one warm sandbox, students
  in a fixed order), watching the grader's processes while it runs, reading the reports;
- `attacks`: the attack bank itself, each attack with its class (1-11), its batch, its
  honest baseline and the checks only it needs.

Nothing here changes the grader: it is only driven from the outside (`grade(...)`), as a
class of students would drive it.
"""
