"""Collecting from an LMS: nbgrader's `zip_collect` with file names as Canvas and Moodle write them.

nbgrader does the work (docs/EXCHANGE.md): the instructor puts the LMS's download in
`downloaded/<assignment>/archive/`, and `nbgrader zip_collect <assignment>` unpacks it into
`downloaded/<assignment>/extracted/` and copies each notebook to
`submitted/<student>/<assignment>/<file name as the student uploaded it>`. nbgrader only asks a
collector plugin, for each unpacked file, which student it belongs to and what it was called;
`LMSFileNames` (set in nbgrader_config.py) answers for both LMSs' names:

- Canvas ("Download Submissions"): one flat file per uploaded file,
  `<sortable name>_[LATE_]<Canvas user id>_<attachment id>_<file name>`, e.g.
  `lovelaceada_LATE_12345_678901_task2_backward-1.ipynb` (Canvas appends `-1`, `-2` to a name
  uploaded again); with anonymous grading `[LATE_]anon_<anonymous id>_<attachment id>_<file name>`.
- Moodle ("Download all submissions"): a folder per student (the default since Moodle 3.1),
  `<full name>_<participant id>_assignsubmission_file/<file name>`, or with "Download
  submissions in folders" off one flat file `<full name>_<participant id>_assignsubmission_file_<file name>`.

The student id is the LMS's own id (Canvas's user id, the `ID` column of its gradebook export;
Moodle's participant id, the `Participant N` of its grading worksheet), or the course's id for
that student when the roster in the gradebook names them (`nbgrader db student import`: a
student whose `lms_user_id` is the Canvas user id, or whose first and last name are Moodle's full
name). A renamed notebook (`task2_backward-1.ipynb`, `task2_backward (1).ipynb`) keeps its name
here: the grader's intake (`screening.renamed_copy`) grades it with a note.
"""

import os
import re

from nbgrader.plugins import FileNameCollectorPlugin

CANVAS = re.compile(r"(?:(?P<name>[^/]*?)_)??(?:LATE_|late_)?(?P<lms_id>\d+|anon_[A-Za-z0-9]+)_\d+_(?P<file_id>[^/]+)")
MOODLE_FOLDER = re.compile(r"(?P<name>.+)_(?P<lms_id>\d+)_assignsubmission_file")
MOODLE_FILE = re.compile(r"(?P<name>.+?)_(?P<lms_id>\d+)_assignsubmission_file_(?P<file_id>.+)")


def parse_download_name(path):
    """{lms, name, lms_id, file_id} for a file of a Canvas or Moodle download, or None.

    `path` is the file's path in the unpacked download (only its last components are read).
    """
    parts = path.replace(os.sep, "/").split("/")
    for folder in reversed(parts[:-1]):  # Moodle's folder layout (its files may sit in subfolders)
        match = MOODLE_FOLDER.fullmatch(folder)
        if match:
            return {"lms": "moodle", **match.groupdict(), "file_id": parts[-1]}
    for lms, pattern in (("moodle", MOODLE_FILE), ("canvas", CANVAS)):
        match = pattern.fullmatch(parts[-1])
        if match:
            return {"lms": lms, **match.groupdict()}
    return None


def roster_match(found, students):
    """The course's id for the student an LMS file name names, or None.

    Args:
        found: what `parse_download_name` returned.
        students: (id, first_name, last_name, lms_user_id) of each student in the gradebook.
    """
    if found["lms"] == "canvas":
        ids = {sid for sid, _, _, lms_user_id in students if str(lms_user_id or "") == found["lms_id"]}
    else:  # Moodle's full name is "first last" or "last first", as the site is set up
        name = _name(found["name"])
        ids = {sid for sid, first, last, _ in students if name in {_name(first, last), _name(last, first)}}
    return ids.pop() if len(ids) == 1 else None


def _name(*parts):
    """A name compared without case or extra spaces (a missing part is empty)."""
    return " ".join(" ".join(part or "" for part in parts).split()).casefold()


class LMSFileNames(FileNameCollectorPlugin):
    """nbgrader zip_collect's collector for Canvas and Moodle downloads.

    Any other name is left to `named_regexp` (nbgrader's own rule) when one is configured.
    """

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        found = parse_download_name(submitted_file)
        if found is None:
            if self.named_regexp:
                return super().collect(submitted_file)
            self.log.warning("Not a Canvas or Moodle download name, skipped: %s", submitted_file)
            return None
        student = roster_match(found, self._roster()) or found["lms_id"]
        self.log.info("%s: %s's %s (student %s)", found["lms"], found["name"] or found["lms_id"],
                      found["file_id"], student)
        return {"student_id": student, "file_id": found["file_id"]}

    def _roster(self):
        if not hasattr(self, "_students"):
            from .gradebook import open_gradebook

            coursedir = self.parent.coursedir
            with open_gradebook(coursedir.db_url, course_id=coursedir.course_id) as gb:
                self._students = [(s.id, s.first_name, s.last_name, s.lms_user_id) for s in gb.students]
        return self._students
