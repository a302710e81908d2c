"""sanitize.py: what a student's notebook holds cannot run in the instructor's browser or terminal.

The hostile notebook below is rendered exactly as nbgrader's feedback (and formgrader,
and nbconvert's own templates) render it, and the HTML is parsed the way a browser
parses it (html5lib) to look for anything that could run.
"""

import base64
import copy
import json
import re
import time

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import sanitize
from autograder.course import SOURCE
from autograder.sanitize import clean_markdown, clean_notebook, clean_output, clean_text, markdown_is_safe

ASSIGNMENT = "task2_backward"
pytestmark = pytest.mark.xdist_group("sanitize")
MARK = "PWNED"  # in every payload: it must never reach a script, an event handler or a URL
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(64))).decode()
SVG = base64.b64encode(f'<svg xmlns="http://www.w3.org/2000/svg" onload="{MARK}()"></svg>'.encode()).decode()
ESC = "\x1b"


# ------------------------------------------------------------------ helpers
def exporter(template="feedback"):
    """An HTMLExporter set up as nbgrader's GenerateFeedback (or formgrader, or plain nbconvert) sets it up."""
    from nbconvert.exporters import HTMLExporter
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    if template == "feedback":
        app = GenerateFeedback(coursedir=CourseDirectory())
        app.update_config(Config({"HTMLExporter": {"template_name": "feedback"}}))
        html = app.exporter_class(parent=app, config=app.config)
        html.register_preprocessor(CSSHTMLHeaderPreprocessor)
        return html
    config = Config({"HTMLExporter": {"template_name": template}})
    if template == "formgrade":
        config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    return HTMLExporter(config=config)


RESOURCES = {
    "feedback": {"nbgrader": {"notebook": "nb", "score": 0, "max_score": 0, "late_penalty": 0}},
    "formgrade": {"assignment_id": "a", "notebook_id": "nb", "submission_id": "s", "index": 0, "total": 1,
                  "base_url": "/", "student": "st", "last_name": None, "first_name": None, "notebook_path": "/x"},
}


def render(notebook, template="feedback"):
    body, _ = exporter(template).from_notebook_node(copy.deepcopy(notebook),
                                                    resources=copy.deepcopy(RESOURCES.get(template, {})))
    return body


def parse(html):
    """(tag, attributes, text) of every element, as a browser's HTML parser builds them."""
    from bleach._vendor import html5lib

    document = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return [(element.tag.split("}")[-1].lower(), dict(element.attrib), "".join(element.itertext()))
            for element in document.iter() if isinstance(element.tag, str)]


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "cite",
                  "srcset", "ping", "codebase"}
NEVER = {"iframe", "object", "embed", "svg", "math", "form", "frame", "frameset", "base", "applet", "portal",
         "textarea", "button", "select", "template", "noscript", "xmp", "plaintext"}


def dangers(html, baseline):
    """What in `html` could run, beyond what the template itself has (`baseline`: a harmless render)."""
    found = []
    allowed_scripts = {(attributes.get("src"), text) for tag, attributes, text in parse(baseline) if tag == "script"}
    counts, handlers = {}, set()  # the template's own elements and event handlers (formgrader has some)
    for tag, attributes, _ in parse(baseline):
        counts[tag] = counts.get(tag, 0) + 1
        handlers |= {(tag, name.lower(), value) for name, value in attributes.items() if name.lower().startswith("on")}
    seen = {}
    for tag, attributes, text in parse(html):
        seen[tag] = seen.get(tag, 0) + 1
        if tag == "script" and (attributes.get("src"), text) not in allowed_scripts:
            found.append(f"script {attributes} {text[:80]!r}")
        if tag in NEVER:
            found.append(f"<{tag}>")
        for name, value in attributes.items():
            name = name.split("}")[-1].lower()
            if (name.startswith("on") or name in ("srcdoc", "formaction")) and (tag, name, value) not in handlers:
                found.append(f"<{tag} {name}={value[:60]!r}>")
            if name in URL_ATTRIBUTES:
                url = re.sub(r"[\x00-\x20]", "", value).lower()
                image_data = tag == "img" and re.match(r"data:image/(png|jpeg);base64,", url)
                if re.match(r"(javascript|vbscript|data|file):", url) and not image_data:
                    found.append(f"<{tag} {name}={value[:60]!r}>")
            if MARK in value:
                found.append(f"<{tag} {name}={value[:60]!r}> holds a payload")
    for tag in ("style", "link", "meta"):  # the template's own only
        if seen.get(tag, 0) > counts.get(tag, 0):
            found.append(f"{seen[tag] - counts.get(tag, 0)} more <{tag}>")
    if ESC in html:
        found.append("an escape character")
    return found


def code(source="", outputs=(), count=1, **metadata):
    cell = nbformat.v4.new_code_cell(source, metadata=metadata)
    cell.outputs, cell.execution_count = list(outputs), count
    return cell


def markdown(source, **fields):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.update(fields)
    return cell


HOSTILE_MARKDOWN = [
    f"Hello <script>{MARK}()</script> world",
    f'<img src=x onerror="{MARK}()"> and <img src="https://example.org/ok.png" alt="ok">',
    f'<a href="javascript:{MARK}()">click</a> <a href="JaVaScRiPt:{MARK}()">2</a> '
    f'<a href="jav&#x09;ascript:{MARK}()">3</a>',
    f'<svg onload="{MARK}()"><circle r="5"/></svg>',
    f'<iframe srcdoc="<script>{MARK}()</script>"></iframe>',
    f'<object data="javascript:{MARK}()"></object><embed src="javascript:{MARK}()">',
    f'<form action="javascript:{MARK}()"><button formaction="javascript:{MARK}()">x</button></form>',
    f"<style>body {{ display: none }}</style><link rel=stylesheet href=//evil/{MARK}.css>",
    f'<math><mtext><table><mglyph><style><img src=x onerror="{MARK}()">',
    f'<details open ontoggle="{MARK}()"><summary>s</summary>x</details>',
    f"[link](javascript:{MARK}()) and [r][ref]\n\n[ref]: javascript:{MARK}()",
    f"![img](javascript:{MARK}())",
    f"<javascript:{MARK}()> and <https://example.org>",
    f"```mermaid\ngraph TD; A[<img src=x onerror={MARK}()>]\n```",
    f"<div>\n`<img src=x onerror={MARK}()>`\n</div>",
    f'<a href="files/javascript:{MARK}()">files prefix</a> [f](files/javascript:{MARK}())',
    f'<meta http-equiv="refresh" content="0;url=javascript:{MARK}()"><base href="javascript:{MARK}()/">',
    f"<!-- <script>{MARK}()</script> --> comment",
    f'<img src="data:image/svg+xml;base64,{SVG}"> <a href="data:text/html,<script>{MARK}()</script>">d</a>',
    f"<textarea><script>{MARK}()</script></textarea><noscript><img src=x onerror={MARK}()></noscript>",
    f'<b title="a" onmouseover={MARK}()>hover</b> <p style="position:fixed;top:0">fixed</p>',
    f'<a href="https://ok.org" target="_blank" onclick="{MARK}()">ok link</a>',
    f"$$<img src=x onerror={MARK}()>$$ and $x<script>{MARK}()</script>$",
    f"<IMG SRC=`javascript:{MARK}()`> <img/src=x/onerror={MARK}()>",
    "![missing](attachment:nowhere.png)",
    f"Tricky \\<script>{MARK}()\\</script> escapes",
]


def hostile_notebook():
    """A notebook with every trick: markdown, raw cells, attachments, outputs, metadata."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": f"<script>{MARK}()</script>", "language": "python"},
        "language_info": {"name": "python", "pygments_lexer": f"<img src=x onerror={MARK}()>"},
        "title": f"</title><script>{MARK}()</script>",
        "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                  "version_minor": 0}},
    }
    cells = [markdown(text) for text in HOSTILE_MARKDOWN]
    cells.append(markdown("SVG attachment: ![pic](attachment:pic.svg) and ![ok](attachment:ok.png)", attachments={
        "pic.svg": {"image/svg+xml": SVG}, "ok.png": {"image/png": PNG, "image/svg+xml": SVG}}))
    raw_html = nbformat.v4.new_raw_cell(f"<script>{MARK}()</script><img src=x onerror={MARK}()>",
                                        metadata={"format": "text/html", "raw_mimetype": "text/html"})
    raw_plain = nbformat.v4.new_raw_cell(f"<iframe src=javascript:{MARK}()></iframe>")
    cells += [raw_html, raw_plain]
    outputs = [
        {"output_type": "display_data", "data": {"text/html": f"<b>ok</b><script>{MARK}()</script>"
                                                              f"<img src=x onerror={MARK}()>",
                                                 "application/javascript": f"{MARK}()",
                                                 "text/plain": "<HTML object>"}, "metadata": {}},
        {"output_type": "display_data", "data": {"image/svg+xml": f"<svg onload={MARK}()></svg>"},
         "metadata": {}},
        {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {
            "model_id": f"</script><script>{MARK}()</script>", "version_major": 2, "version_minor": 0}},
         "metadata": {}},
        {"output_type": "display_data", "data": {"text/markdown": f"[x](javascript:{MARK}())"}, "metadata": {}},
        {"output_type": "display_data", "data": {"text/latex": f"$x$ <script>{MARK}()</script>"}, "metadata": {}},
        {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": "<Figure>"},
         "metadata": {"image/png": {"width": f'1 onerror="{MARK}()"'},
                      "filenames": {"image/png": f"x\" onerror={MARK}"}}},
        {"output_type": "display_data", "data": {"image/png": base64.b64encode(b"<svg onload=1>").decode()},
         "metadata": {}},
        {"output_type": "display_data", "data": {"text/html": "<table><tr><td>1</td></tr></table>"},
         "metadata": {"text/html": {"isolated": True}}},
        {"output_type": "stream", "name": "stdout",
         "text": f"{ESC}[31mred{ESC}[0m {ESC}]0;title{ESC}\\ {ESC}]8;;javascript:{MARK}(){ESC}\\link{ESC}]8;;{ESC}\\ "
                 f"<script>{MARK}()</script>\n"},
        {"output_type": "execute_result", "execution_count": 1,
         "data": {"text/plain": f"<b onclick={MARK}()>not a tag</b>"}, "metadata": {}},
        {"output_type": "error", "ename": f"{ESC}[1mBad", "evalue": f"<img src=x onerror={MARK}()>",
         "traceback": [f"{ESC}[0;31m<script>{MARK}()</script>{ESC}[0m"]},
    ]
    cells.append(code("print('hi')", outputs=[nbformat.from_dict(o) for o in outputs],
                      jupyter={"source_hidden": True}, trusted=True, tags=["ok", f'x" onclick="{MARK}()']))
    cells.append(markdown("Ordinary text: a < b, $x<y$, `a < b`, **bold**, <b>b</b>.\n\n> quoted"))
    notebook.cells = cells
    return notebook


def baseline():
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"},
                                                  "language_info": {"name": "python"}})
    notebook.cells = [markdown("text"), code("1", [nbformat.v4.new_output("execute_result", {"text/plain": "1"},
                                                                          execution_count=1)])]
    return notebook


def source_notebook():
    return nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


# ---------------------------------------------------------- the whole notebook
@pytest.fixture(scope="module")
def cleaned():
    notebook = hostile_notebook()
    notes = clean_notebook(notebook, source_notebook())
    return notebook, notes


@pytest.mark.filterwarnings("ignore::UserWarning")  # nbconvert on the uncleaned notebook
def test_the_hostile_notebook_is_dangerous_before_cleaning():
    """The test can see an attack: the same render of the uncleaned notebook is full of them."""
    notebook = hostile_notebook()
    with pytest.raises(Exception, match="missing attachment"):  # and one cell stops nbconvert altogether
        render(notebook)
    notebook.cells = [cell for cell in notebook.cells if "attachment:nowhere" not in cell.source]
    found = dangers(render(notebook), render(baseline()))
    assert len(found) > 20, found


@pytest.mark.parametrize("template", ["feedback", "formgrade", "classic", "lab"])
def test_nothing_can_run_in_the_rendered_notebook(cleaned, template):
    notebook, _ = cleaned
    html = render(notebook, template)
    assert dangers(html, render(baseline(), template)) == []
    nbformat.validate(notebook)


def test_cleaning_twice_changes_nothing(cleaned):
    notebook, _ = cleaned
    again = copy.deepcopy(notebook)
    assert clean_notebook(again, source_notebook()) == []
    assert again == notebook


def test_ordinary_markdown_and_text_still_read_correctly(cleaned):
    notebook, _ = cleaned
    html = render(notebook)
    ordinary = notebook.cells[-1].source
    assert ordinary == "Ordinary text: a < b, $x<y$, `a < b`, **bold**, <b>b</b>.\n\n> quoted"  # unchanged
    assert "a &lt; b" in html and "$x&lt;y$" in html and "<code>a &lt; b</code>" in html
    assert "<b>b</b>" in html and "<blockquote>" in html
    # A text/plain output holding a tag is shown escaped, as text.
    assert "&lt;b onclick=PWNED()&gt;not a tag&lt;/b&gt;" in html
    assert "red" in html and "<b>ok</b>" in html


def test_notes_say_what_was_removed(cleaned):
    _, notes = cleaned
    text = " ".join(notes)
    assert "markdown cells" in text and "<script>" in text and "onerror=" in text and "javascript: URL" in text
    assert "raw cells" in text
    assert "pic.svg" in text
    assert "output(s)" in text


def test_metadata_is_reduced(cleaned):
    notebook, _ = cleaned
    source = source_notebook()
    assert set(notebook.metadata) == {"kernelspec", "language_info"}
    assert notebook.metadata.kernelspec == source.metadata.kernelspec
    raw = [cell for cell in notebook.cells if cell.cell_type == "raw"]
    assert raw and all(cell.metadata == {} for cell in raw)
    last_code = [cell for cell in notebook.cells if cell.cell_type == "code"][-1]
    assert last_code.metadata == {"tags": ["ok"]}
    for output in last_code.outputs:
        assert output.get("metadata", {}) == {}
    kinds = [sorted(o.get("data", {})) for o in last_code.outputs if o.output_type == "display_data"]
    assert ["text/html", "text/plain"] in kinds and ["image/png", "text/plain"] in kinds
    assert ["text/plain"] in kinds  # markdown and latex became plain text
    assert all(not set(k) - {"text/plain", "text/html", "image/png", "image/jpeg"} for k in kinds)


def test_attachments_are_only_real_images(cleaned):
    notebook, _ = cleaned
    cell = next(c for c in notebook.cells if "attachments" in c)
    assert cell.attachments["ok.png"] == {"image/png": PNG}
    assert cell.attachments["pic.svg"] == {"image/png": sanitize.PLACEHOLDER_PNG}
    assert cell.source.startswith("SVG attachment:")  # still rendered as markdown
    assert render(notebook).count("data:image/png;base64,") >= 2


def test_instructor_cells_stay_as_written():
    """Cleaning a submission that is the release notebook changes nothing the instructor wrote."""
    release = nbformat.read(SOURCE.parent / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    before = copy.deepcopy(release)
    assert clean_notebook(release, source_notebook()) == []
    assert [c.source for c in release.cells] == [c.source for c in before.cells]
    source = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader for c in source_notebook().cells
              if "nbgrader" in c.metadata}
    assert [c.metadata.get("nbgrader") for c in release.cells] == [
        source[c.metadata.nbgrader.grade_id] if "nbgrader" in c.metadata else None for c in before.cells]
    assert any("<details>" in c.source for c in release.cells)


def test_nbgrader_metadata_comes_from_the_source():
    source = source_notebook()
    graded = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))
    notebook = nbformat.v4.new_notebook()
    forged = code("x", grade_id=None)
    forged.metadata = {"nbgrader": {"grade_id": graded.metadata.nbgrader.grade_id, "points": 1000, "grade": True}}
    made_up = code("y")
    made_up.metadata = {"nbgrader": {"grade_id": "<b>made_up</b>", "grade": True, "points": 5}}
    notebook.cells = [forged, made_up]
    clean_notebook(notebook, source)
    assert notebook.cells[0].metadata.nbgrader == graded.metadata.nbgrader
    assert "nbgrader" not in notebook.cells[1].metadata


def test_cell_ids_types_and_surrogates_are_repaired():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": {"name\udcff": "x", "display_name": "\ud800"},
                         "language_info": {"name": "py\ud800thon"}}
    notebook.cells = [markdown("a \ud800 b", attachments={"\udcff.png": {"image/png": PNG}}),
                      code("print('\udcff')", [nbformat.v4.new_output("stream", text="\ud800")], tags=["\ud800", "ok"]),
                      markdown("x"), markdown("y")]
    notebook.cells[2].id = "bad id!"
    notebook.cells[3].id = notebook.cells[0].id
    notebook.cells.append(nbformat.from_dict({"cell_type": "weird", "source": "<script>x</script>",
                                              "metadata": {}, "id": "w"}))
    notes = clean_notebook(notebook, None)
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", i) for i in ids)
    assert notebook.cells[-1].cell_type == "raw" and "<script>" not in notebook.cells[-1].source
    assert any("unknown types" in note for note in notes)
    nbformat.validate(notebook)
    nbformat.writes(notebook).encode("utf-8")  # a lone surrogate would make writing fail
    assert notebook.metadata == {"language_info": {"name": "py\ufffdthon"}}


# ----------------------------------------------------------------- markdown
SAFE_AS_WRITTEN = {  # markdown and nbconvert escape these already: nothing to remove
    f"$$<img src=x onerror={MARK}()>$$ and $x<script>{MARK}()</script>$",  # maths is escaped
    f"<IMG SRC=`javascript:{MARK}()`> <img/src=x/onerror={MARK}()>",  # not tags for markdown: shown as text
    f"Tricky \\<script>{MARK}()\\</script> escapes",
}


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
def test_each_hostile_markdown_is_made_safe(text):
    cleaned, removed = clean_markdown(text)
    assert bool(removed) == (text not in SAFE_AS_WRITTEN)
    assert markdown_is_safe(cleaned)
    assert MARK not in "".join(a for _, attributes, _ in parse(render_markdown(cleaned)) for a in attributes.values())


def render_markdown(text):
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    return MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(text)


@pytest.mark.parametrize("text", [
    "# Title\n\nSome *emphasis*, **strong**, `code < span`, a < b, a<b, x > y, 5 & 6.",
    "Maths: $x<y$, $$\\sum_i a_i < b$$, \\\\(a<b\\\\) and\n\n$$\nx < y\n$$",
    "> a quote\n> > nested\n\n- item\n- [ ] task\n\n1. one\n2. two",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "```python\nif a < b and c > d:\n    print('<b>')\n```",
    "A [link](https://example.org \"title\") and <https://example.org>",
    "<details><summary>Answer</summary>\n\nThe **answer** is $a<b$.\n</details>",
    "Line with <b>bold</b>, <i>it</i>, <sub>2</sub>, <sup>3</sup>, <br> and &amp; &lt; &copy;",
    "<table><tr><th>h</th></tr><tr><td colspan=\"2\">c</td></tr></table>",
    "Escapes: \\*not emphasis\\*, \\<not a tag\\>",
    "YOUR ANSWER HERE",
    "",
])
def test_ordinary_markdown_is_unchanged(text):
    assert clean_markdown(text) == (text, [])


@pytest.mark.parametrize("text", ["![pixel](https://example.org/x.png)", '<img src="https://example.org/x.png">',
                                  '<img src="//example.org/x.png">', "<img src=https://example.org/x.png>"])
def test_no_image_loads_from_elsewhere(text):
    """A remote image would load in the instructor's browser (a tracking pixel)."""
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Intro")])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text),
                                               nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
                                                   "display_data", data={"text/html": text})])])
    clean_notebook(notebook, source)
    images = [attributes for tag, attributes, _ in parse(render(notebook)) if tag == "img"]
    assert not any("example.org" in attributes.get("src", "") for attributes in images), images


def test_markdown_with_some_bad_html_keeps_the_rest():
    text = "The gradient is $dW = a^T dz$ where `a < b`.\n\n<b onclick='x()'>Bold</b> <script>x()</script>a<b"
    cleaned, removed = clean_markdown(text)
    assert cleaned == "The gradient is $dW = a^T dz$ where `a < b`.\n\n<b>Bold</b> a&lt;b"
    assert removed == ["<script>", "onclick="]


def test_unfixable_markdown_is_shown_as_its_source():
    text = "[click](javascript:alert(1))\n```\n"
    cleaned, removed = clean_markdown(text)
    assert cleaned.startswith("````\n") and text in cleaned and "shown as its source" in removed[0]
    assert markdown_is_safe(cleaned)


def test_pathological_markdown_is_bounded_in_time():
    """mistune is quadratic on some inputs: long cells and slow notebooks are shown as source."""
    start = time.perf_counter()
    for text in ["[" * 30000 + "]" * 30000, "\\begin{a}" * 7000, "[x](" * 15000, "<!--" * 16000,
                 '<a b="' * 10000, "`" * 5000 + " x " + "``" * 5000, "[" * 500_000]:
        cleaned, _ = clean_markdown(text)
        assert markdown_is_safe(cleaned, limit=None)
    assert time.perf_counter() - start < 10
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [markdown("[" * 7000 + "]" * 7000 + f" {i}") for i in range(20)]
    start = time.perf_counter()
    notes = clean_notebook(notebook, None)
    assert time.perf_counter() - start < sanitize.MARKDOWN_SECONDS + 5
    assert any("no time left" in note for note in notes)
    assert all(markdown_is_safe(cell.source, limit=None) for cell in notebook.cells)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("<>/=\"'`$\\!-[]()*_ \n\tabcsriptnmgo:&#;xy") + ["\u00a0", "\x00"]),
               max_size=200))
def test_fuzzed_markdown_always_ends_safe(text):
    cleaned, _ = clean_markdown(text)
    assert markdown_is_safe(cleaned, limit=None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_a_code_block_is_safe(text):
    assert markdown_is_safe(sanitize.as_code_block(text), limit=None)


TAG_SOUP = st.lists(st.one_of(
    st.sampled_from(["<", ">", "/", "=", '"', "'", " ", "\n", "&", "#", ";", "x", "javascript:", "data:", "http://a/",
                     "files/", "&#x3a;", "<!--", "-->", "<![CDATA[", "]]>", "\x00", "`"]),
    st.builds(lambda closing, tag, attributes: f"<{closing}{tag}{attributes}>", st.sampled_from(["", "/"]),
              st.sampled_from(["a", "img", "b", "script", "style", "svg", "math", "table", "td", "tr", "textarea",
                               "iframe", "details", "p", "div", "select", "template", "noscript", "title", "A"]),
              st.lists(st.builds(lambda name, value: f" {name}={value}",
                                 st.sampled_from(["href", "src", "onerror", "onclick", "style", "title", "alt", "open",
                                                  "xlink:href", "srcdoc", "rel", "class", "id", "width"]),
                                 st.sampled_from(['"javascript:x()"', "'https://ok/'", "x", '"a>b"', "files/x",
                                                  '"data:text/html,<script>x</script>"', "`x`", '"\u00a0x"'])),
                       max_size=3).map("".join))), max_size=25).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TAG_SOUP)
def test_nh3_output_always_passes_the_check(soup):
    assert sanitize.check_html(sanitize.clean_html(soup))
    cleaned, _ = sanitize.clean_raw(soup)
    assert sanitize.check_html(cleaned)
    cleaned, _ = clean_markdown(soup)
    assert markdown_is_safe(cleaned, limit=None)


def test_raw_cells():
    assert sanitize.clean_raw("a < b and <b>bold</b>") == ("a < b and <b>bold</b>", [])
    cleaned, removed = sanitize.clean_raw("<script>x()</script><img src=x onerror=y()>ok")
    assert cleaned == "<img>ok" and removed


# ------------------------------------------------------------------ outputs
def test_text_loses_escapes_and_control_characters():
    text = (f"{ESC}[1;31mbold red{ESC}[0m {ESC}]0;window title\x07{ESC}]8;;http://x{ESC}\\link{ESC}]8;;{ESC}\\"
            f" {ESC}c{ESC}(B\x9b2J\x90dcs\x9c a\x00b\x08c\x7f\u202eevil\u202c\u200b\ttab\nline")
    assert clean_text(text) == "bold red link  abcevil\ttab\nline"
    assert clean_text("10%\r50%\r100%\ndone\r\n") == "100%\ndone\n"
    assert clean_text("progress\r") == "progress"
    assert clean_text("a\u2028b\ud800c") == "a\nbc"
    assert clean_text("x" * 100, limit=10) == "x" * 10 + "\n[... output truncated]"
    assert sanitize.one_line("a\nb\tc\x1b[2Kd") == "a b cd"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=500))
def test_cleaned_text_has_no_control_characters(text):
    cleaned = clean_text(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", cleaned)
    assert clean_text(cleaned) == cleaned


def test_escapes_on_hostile_lengths_are_linear():
    start = time.perf_counter()
    for text in ["\x1b]" * 200_000, "\x90" * 400_000, "\x1b[" + "0" * 400_000, "x" * 400_000 + "\n\r" * 1000]:
        clean_text(text)
    assert time.perf_counter() - start < 5


def test_output_kinds():
    stream = clean_output({"output_type": "stream", "name": "evil", "text": ["a", "b\x1b[0m"]}, 3)
    assert stream == {"output_type": "stream", "name": "stdout", "text": "ab"}
    result = clean_output({"output_type": "execute_result", "data": {"text/plain": "4.0", "application/x": 1},
                           "metadata": {"x": 1}, "execution_count": 99}, 3)
    assert result == {"output_type": "execute_result", "data": {"text/plain": "4.0"}, "metadata": {},
                      "execution_count": 3}
    assert clean_output({"output_type": "execute_result", "data": {"application/javascript": "x"}}, 1).data == {}
    assert clean_output({"output_type": "display_data", "data": {"application/javascript": "x"}}, 1) is None
    assert clean_output({"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}}, 1) is None
    error = clean_output({"output_type": "error", "ename": ["x"], "evalue": 3, "traceback": "not a list"}, 1)
    assert error == {"output_type": "error", "ename": "x", "evalue": "3", "traceback": []}
    unknown = clean_output({"output_type": "bogus"}, 1)
    assert unknown.output_type == "error"
    assert clean_output("not a dict", 1) is None and clean_output(None, 1) is None
    latex = clean_output({"output_type": "display_data", "data": {"text/latex": "$x$"}}, 1)
    assert latex.data == {"text/plain": "$x$"}


def test_images_must_be_real():
    ok = clean_output({"output_type": "display_data", "data": {"image/png": PNG[:20] + "\n" + PNG[20:],
                                                               "image/jpeg": JPEG}}, 1)
    assert ok.data == {"image/png": PNG, "image/jpeg": JPEG}
    for bad in [base64.b64encode(b"GIF89a....").decode(), PNG + '"><script>x()</script>', "!!!!", PNG[:-2],
                "A" * (sanitize.MAX_IMAGE + 4), {"not": "text"}]:
        assert sanitize.clean_image(bad, "image/png") is None, bad
    assert sanitize.clean_image(JPEG, "image/png") is None
    assert sanitize.clean_image(PNG, "image/gif") is None


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=4), max_leaves=12)
KEYS = st.sampled_from(["output_type", "name", "text", "data", "metadata", "ename", "evalue", "traceback",
                        "execution_count"])
VALUES = st.one_of(JSON, st.sampled_from(["stream", "display_data", "execute_result", "error", "stdout"]),
                   st.dictionaries(st.sampled_from(["text/plain", "text/html", "image/png", "image/jpeg",
                                                    "text/markdown", "text/latex", "application/javascript"]),
                                   st.one_of(JSON, st.just(PNG), st.text(max_size=50)), max_size=4))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, st.dictionaries(KEYS, VALUES, max_size=6)), st.one_of(st.integers(), st.none(), JSON))
def test_fuzzed_outputs_never_raise_and_are_valid(output, number):
    produced = sanitize._clean_output(output, number)  # the version without the safety net
    assert produced == clean_output(output, number)
    if produced is not None:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [code("", [produced], count=None)]
        nbformat.validate(notebook)
        json.dumps(produced)
        for mimetype, value in produced.get("data", {}).items():
            if mimetype == "text/html":
                assert sanitize.check_html(value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(["cell_type", "source", "metadata", "outputs", "attachments",
                                                 "id", "execution_count"]),
                                st.one_of(JSON, st.sampled_from(["code", "markdown", "raw"])), max_size=7),
                max_size=5), JSON)
def test_fuzzed_notebooks_never_raise(cells, metadata):
    notebook = nbformat.from_dict({"cells": cells, "metadata": metadata if isinstance(metadata, dict) else {},
                                   "nbformat": 4, "nbformat_minor": 5})
    clean_notebook(notebook, None)
    nbformat.validate(notebook)
