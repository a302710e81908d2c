"""The course in a real browser: JupyterLab, nbgrader's Validate button and formgrader, in Chromium.

One JupyterLab server (loopback, a free port, a token) on a copy of the course serves every
test: a student opens the notebook of their student package (python -m autograder package),
runs it all, fills one answer, sees its self-check pass and validates; an instructor opens
formgrader on the class graded by the course's own command, gives a manual point and
generates feedback. The tests run in order and share the session, as one person would.
Screenshots go to reports/browser/ (look at them: they show what each test asserts).

The project's set-up installs Debian's chromium and chromium-driver when it may
(autograder/bootstrap.py: root with apt-get); elsewhere these tests skip, saying why.
"""

import csv
import html
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import nbformat
import pytest
from course_copy import copy_course, course_env, hidden_test_lines, run_all_assignments

from autograder import bootstrap, package
from autograder.course import ROOT, answer_cells, notebook_path, solution_source
from autograder.submissions import build_submission, read_answers, write_submission

SHOTS = ROOT / "reports" / "browser"
EXAMPLES = ROOT / "autograder" / "examples"
pytestmark = pytest.mark.xdist_group("browser")


def _assignment():
    """The first assignment whose release follows the Run-All convention and has an example class."""
    ready = [name for name in run_all_assignments() if (EXAMPLES / name / "ben_two_bugs").is_dir()]
    return ready[0] if ready else None


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _settings(home):
    """JupyterLab user settings of the test user: every cell in the page, no news pop-up."""
    folder = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    for name, text in {"notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
                       "apputils-extension/notification.jupyterlab-settings":
                           '{"fetchNews": "false", "checkForUpdates": false}'}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


class Session:
    """The browser, the server and the course copy the tests share."""

    def __init__(self, driver, url, token, course, student, assignment, grading):
        self.driver, self.url, self.token = driver, url, token
        self.course, self.student, self.assignment, self.grading = course, student, assignment, grading
        self.fixed_check = None  # the self-check the student made pass (its title)
        self.graded_by_hand = None  # (grade_id, (auto score, max score, needs manual grade)) of ben's cell

    def log_in(self):
        """Type the server's token into its login page, as a person would (the cookie serves every page)."""
        from selenium.webdriver.common.keys import Keys

        self.driver.get(f"{self.url}/login")
        self.wait(lambda: self.find("input[name='password']"), 60, "no login page")
        self.find("input[name='password']")[0].send_keys(self.token, Keys.ENTER)
        self.wait(lambda: "/login" not in self.driver.current_url, 60, "the token was not accepted")

    def open(self, path):
        self.driver.get(f"{self.url}/{path}")

    def wait(self, condition, timeout=60, message=""):
        """Wait for `condition()`; on a time-out, a screenshot of the moment (reports/browser/failed_*.png)."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(lambda d: condition(), message)
        except TimeoutException:
            self.shot("failed_" + re.sub(r"\W+", "_", message or "wait"))
            raise

    def find(self, selector, within=None):
        from selenium.webdriver.common.by import By

        return (within or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    def keys(self, key, modifier=None):
        """Press `key` (holding `modifier`, e.g. Keys.SHIFT) where the focus is, as on a keyboard."""
        from selenium.webdriver.common.action_chains import ActionChains

        actions = ActionChains(self.driver)
        if modifier:
            actions.key_down(modifier)
        actions.send_keys(key)
        if modifier:
            actions.key_up(modifier)
        actions.perform()

    def menu(self, top, item):
        """Click a JupyterLab menu item, as a person would."""
        self.wait(lambda: [e for e in self.find("#jp-MainMenu .lm-MenuBar-itemLabel") if e.text == top])
        next(e for e in self.find("#jp-MainMenu .lm-MenuBar-itemLabel") if e.text == top).click()
        self.wait(lambda: [e for e in self.find(".lm-Menu .lm-Menu-itemLabel") if e.text == item])
        next(e for e in self.find(".lm-Menu .lm-Menu-itemLabel") if e.text == item).click()

    def save(self):
        """The notebook toolbar's Save button."""
        self.find(".jp-NotebookPanel-toolbar [data-command='docmanager:save']")[0].click()

    def cells(self):
        return self.find(".jp-Notebook .jp-Cell")

    def text(self, element):
        return self.driver.execute_script("return arguments[0].innerText;", element)

    def scroll_to(self, element):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)

    def idle(self):
        """True when every code cell of the notebook has run and the kernel is idle."""
        prompts, status = self.driver.execute_script("""
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            return [prompts.map(e => e.innerText.trim()), status ? status.getAttribute('data-status') : ''];""")
        return bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts) and status == "idle"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Start JupyterLab, Chromium and the class's grading; stop them all at the end."""
    assignment = _assignment()
    if assignment is None:
        pytest.skip("no release notebook ends with the self_checks cell and has an example class yet")
    reason = bootstrap.ensure_browser()
    if reason:
        pytest.skip(reason)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (it is in requirements.txt: python3 -m autograder test installs it)")
    for stale in SHOTS.glob("*.png"):  # the artefacts are this run's screenshots only
        stale.unlink()
    tmp = tmp_path_factory.mktemp("browser")
    world = tmp / "world"  # the server's root: the course and a student's folder
    course = copy_course(world / "course")
    home = tmp / "home"
    _settings(home)
    (tmp / "exchange").mkdir(mode=0o777)  # formgrader's Release and Collect buttons need one
    env = course_env(home, NBGRADER_EXCHANGE_ROOT=str(tmp / "exchange"))
    # The class (graded below by the course's own command, while the student works).
    submitted = course / "submitted"
    write_submission(build_submission(assignment), submitted, "ada", assignment)
    write_submission(build_submission(assignment, read_answers(EXAMPLES / assignment / "ben_two_bugs")),
                     submitted, "ben", assignment)
    # The student's folder: their student package, unzipped.
    with zipfile.ZipFile(package.build_package(assignment, tmp)) as archive:
        archive.extractall(world / "student")
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp / "jupyterlab.log", "w")  # closed below, after the server
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={world}", "--ServerApp.open_browser=False",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)  # cwd: formgrader reads nbgrader_config.py
    url = f"http://127.0.0.1:{port}"
    driver = grading = None
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"JupyterLab did not start:\n{(tmp / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.3)
        # One core grades, the other is the student's; the HTML feedback comes from formgrader's button.
        grading = subprocess.Popen([sys.executable, "-m", "autograder", "grade", assignment, "--no-progress",
                                    "--no-html-feedback", "--jobs", "1"], cwd=course, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        options = webdriver.ChromeOptions()
        options.binary_location = str(bootstrap.CHROMIUM)
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                         "--disable-gpu", "--no-first-run", "--disable-extensions"):
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(bootstrap.CHROMEDRIVER)))
        driver.set_page_load_timeout(90)
        session = Session(driver, url, token, course, world / "student" / assignment, assignment, grading)
        session.log_in()
        yield session
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if grading is not None and grading.poll() is None:
            grading.kill()


def _saved(session):
    """The student's notebook as saved on disk, or None while the server is still writing it."""
    try:
        return nbformat.read(session.student / f"{session.assignment}.ipynb", as_version=4)
    except (OSError, ValueError):
        return None


def test_student_run_all_reaches_the_end(lab):
    lab.open(f"lab/tree/student/{lab.assignment}/{lab.assignment}.ipynb")
    lab.wait(lambda: len(lab.cells()) > 10 and lab.find(".jp-Notebook .jp-CodeCell"), 90, "the notebook did not open")
    lab.wait(lambda: lab.find(".jp-Notebook-ExecutionIndicator[data-status='idle']"), 60,
             "the kernel did not start")
    lab.menu("Run", "Run All Cells")
    lab.wait(lab.idle, 180, "Run All did not reach the end")
    last = lab.find(".jp-Notebook .jp-CodeCell")[-1]
    lab.scroll_to(last)
    assert "self-check(s) still fail" in lab.text(last)  # the summary: what is still to do
    lab.shot("01_student_run_all")
    lab.save()
    lab.wait(lambda: (_saved(lab) or {"cells": [{}]})["cells"][-1].get("outputs"), 30, "the notebook was not saved")
    code = [cell for cell in _saved(lab).cells if cell.cell_type == "code"]
    failed = [i for i, cell in enumerate(code) if any(o.output_type == "error" for o in cell.outputs)]
    assert failed == [len(code) - 1], [code[i].source[:120] for i in failed]  # only the summary raises
    assert code[-1].metadata["nbgrader"]["grade_id"] == "self_checks"


def _first_exercise(assignment):
    """(index of the first answer cell, index of its self-check cell, the reference answer) in the release."""
    release = nbformat.read(notebook_path(assignment, ROOT / "release"), as_version=4)
    answer = next(i for i, c in enumerate(release.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    check = next(i for i, c in enumerate(release.cells) if i > answer and c.cell_type == "code"
                 and c.source.lstrip().startswith("check_"))
    grade_id = release.cells[answer].metadata["nbgrader"]["grade_id"]
    reference = answer_cells(nbformat.read(notebook_path(assignment), as_version=4))[grade_id]
    return answer, check, solution_source(reference.source)


def test_student_fills_one_answer_and_its_self_check_passes(lab):
    from selenium.webdriver.common.keys import Keys

    answer, check, code = _first_exercise(lab.assignment)
    cell = lab.cells()[answer]
    assert "✗" in lab.text(lab.cells()[check])  # before: the self-check lists what is missing
    lab.scroll_to(cell)
    lab.find(".cm-content", cell)[0].click()
    lab.keys("a", Keys.CONTROL)
    lab.driver.execute_cdp_cmd("Input.insertText", {"text": code})  # as pasted: no auto-indent
    for _ in range(check - answer + 1):  # run the answer and the cells down to its self-check
        lab.keys(Keys.ENTER, Keys.SHIFT)
    lab.wait(lambda: "All checks passed." in lab.text(lab.cells()[check]), 60, "the self-check did not pass")
    output = lab.text(lab.find(".jp-OutputArea", lab.cells()[check])[0])
    assert "✓" in output and "✗" not in output
    lab.scroll_to(lab.cells()[check])
    lab.shot("02_student_self_check_passes")
    lab.fixed_check = output.strip().splitlines()[0]  # the self-check's title, e.g. "Linear"


def test_student_validate_reports_the_truth(lab):
    """Validate (nbgrader's button) fails, naming the self-checks that still fail and not the fixed one."""
    from selenium.webdriver.common.keys import Keys

    lab.find(".jp-NotebookPanel-toolbar .validate-button")[0].click()
    lab.wait(lambda: lab.find("#validation-message"), 180, "Validate gave no result")
    message = lab.find("#validation-message")[0]
    assert "validation-failed" in message.get_attribute("class")
    text = lab.text(message)
    still = re.search(r"\d+ self-check\(s\) still fail: ([^\n]+)", text)
    assert still, text[:2000]
    assert lab.fixed_check not in still.group(1)  # the one the student fixed is no longer listed
    summary = [e for e in lab.find("#validation-message pre") if still.group(0) in lab.text(e)][-1]
    lab.scroll_to(summary)
    lab.shot("03_student_validate")
    lab.keys(Keys.ESCAPE)  # closes the dialog


def _gradebook(lab):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{lab.course / 'gradebook.db'}")


def test_instructor_sees_the_class_graded_by_the_course_grader(lab):
    output, _ = lab.grading.communicate(timeout=300)
    assert lab.grading.returncode == 0, output[-3000:]
    a = lab.assignment
    lab.open(f"formgrader/gradebook/{a}/{a}")
    lab.wait(lambda: len(lab.find("table tbody tr")) == 2, 60, "formgrader does not list the class")
    lab.find("#toggle_names")[0].click()  # "Show All Names": formgrader hides them at first
    lab.wait(lambda: all(lab.find(".name-shown", row)[0].is_displayed() for row in lab.find("table tbody tr")), 10)
    lab.shot("04_formgrader_class")
    rows = {student: next(lab.text(r) for r in lab.find("table tbody tr") if student in lab.text(r).split())
            for student in ("ada", "ben")}
    with _gradebook(lab) as gb:
        totals = {student: gb.find_submission(a, student).score for student in rows}
        grades = {g.name: (g.auto_score, g.max_score, g.needs_manual_grade)
                  for g in gb.find_submission_notebook(a, a, "ben").grades if g.max_score}
    assert totals["ada"] > totals["ben"] > 0  # ben's two bugs cost points, not everything
    for student, total in totals.items():
        assert re.search(rf"\b{total:g}\b|\b{total:.2f}\b", rows[student]), rows[student]
    # ben's submission: every graded cell with the grader's score, and its reasons in the output
    ben = next(r for r in lab.find("table tbody tr") if "ben" in lab.text(r).split())
    lab.find("a.name-shown", ben)[0].click()
    lab.wait(lambda: lab.find("input.score"), 60, "the submission page did not open")
    placeholders = {e.get_attribute("id"): e.get_attribute("placeholder") for e in lab.find("input.score")}
    for name, (auto, _, _) in grades.items():
        if auto is not None:
            assert float(placeholders[name]) == pytest.approx(auto), name
    lost = [name for name, (auto, top, _) in grades.items() if auto is not None and auto < top]
    assert lost
    # what ben got wrong, as the grader wrote it (items.csv's reason) in the graded cell's output
    with open(lab.course / "reports" / a / "items.csv", newline="") as handle:
        reasons = [row["reason"] for row in csv.DictReader(handle) if row["student_id"] == "ben" and row["reason"]
                   and row["cell_id"] in lost]
    page = " ".join(lab.text(lab.find("body")[0]).split())
    assert reasons and all(" ".join(reason.split())[:60] in page for reason in reasons), reasons
    # the manual point goes to a written answer waiting for the instructor, else to a cell ben lost points in
    waiting = [name for name, (auto, _, manual) in grades.items() if manual]
    lab.graded_by_hand = (waiting or lost)[0], grades[(waiting or lost)[0]]


def test_instructor_gives_a_manual_point(lab):
    from selenium.webdriver.common.keys import Keys

    name, (auto, top, _) = lab.graded_by_hand
    given = min(top, (auto or 0) + 1)
    score = next(e for e in lab.find("input.score") if e.get_attribute("id") == name)
    lab.scroll_to(score)
    score.click()
    score.send_keys(f"{given:g}", Keys.TAB)

    def manual():
        with _gradebook(lab) as gb:
            return gb.find_grade(name, lab.assignment, lab.assignment, "ben").manual_score

    lab.wait(lambda: manual() is not None, 30, "the manual score was not saved")
    assert manual() == pytest.approx(given)
    lab.scroll_to(score)
    lab.shot("05_formgrader_manual_point")


def test_instructor_generates_feedback_without_hidden_tests(lab):
    a = lab.assignment
    lab.open("formgrader/manage_assignments")
    lab.wait(lambda: lab.find(f"#assignment-{a} .generate-feedback a, tr .generate-feedback a"), 30,
             "no Generate Feedback button")
    row = next(row for row in lab.find("table tbody tr") if lab.text(row).split() and lab.text(row).split()[0] == a)
    lab.find(".generate-feedback a", row)[0].click()
    lab.wait(lambda: "Successfully generated feedback" in lab.text(lab.find("body")[0]), 180,
             "feedback was not generated")
    lab.shot("06_formgrader_feedback_generated")
    feedback = lab.course / "feedback" / "ben" / a / f"{a}.html"
    page = html.unescape(re.sub(r"<[^>]+>", "", feedback.read_text(encoding="utf-8")))
    hidden = hidden_test_lines(a)
    assert hidden and "BEGIN HIDDEN TESTS" not in page and not [line for line in hidden if line in page]
    # ... and as the instructor reads it in JupyterLab's HTML viewer: ben's total has the manual point
    lab.open(f"lab/tree/course/feedback/ben/{a}/{a}.html")
    lab.wait(lambda: lab.find(".jp-HTMLViewer iframe, iframe.jp-HTMLViewer, .jp-RenderedHTMLCommon iframe"), 60,
             "the feedback did not open")
    frame = lab.find(".jp-HTMLViewer iframe, iframe.jp-HTMLViewer, .jp-RenderedHTMLCommon iframe")[0]
    lab.driver.switch_to.frame(frame)
    try:
        lab.wait(lambda: "Score:" in lab.text(lab.find("body")[0]), 30, "the feedback page is empty")
        text = lab.text(lab.find("body")[0])
    finally:
        lab.driver.switch_to.default_content()
    with _gradebook(lab) as gb:
        total = gb.find_submission(a, "ben").score
    assert re.search(rf"\b{total:g}\b|\b{total:.2f}\b", text), text[:500]
    assert not [line for line in hidden if line in text]
    lab.shot("07_feedback_page")
