"""Make what a student's notebook holds safe to show: pure functions, no grading logic.

Student text reaches the instructor three ways, and each is closed here:

- **HTML.** formgrader renders graded notebooks with nbconvert in the instructor's Jupyter
  origin (where a script can drive the Jupyter server), and the HTML feedback is rendered the
  same way. nbconvert passes a notebook's HTML through verbatim: raw HTML in markdown cells
  (`escape=False`), `javascript:` links (`allow_harmful_protocols=True`), ```` ```mermaid ````
  blocks (not escaped at all), raw cells without a format, `text/html`, `text/markdown`,
  `image/svg+xml`, `application/javascript` and widget outputs, widget state in the
  notebook's metadata. `clean_output` keeps only plain text, real PNG/JPEG images and
  `text/html` cleaned by nh3 (a maintained sanitizer, conservative allow-list below);
  `text/markdown` and `text/latex` become plain text when there is none.
  `clean_notebook` makes markdown and raw cells, attachments and metadata safe.
- **Terminals and spreadsheets.** `clean_text` removes ANSI/terminal escape sequences and
  control characters (`one_line` also newlines), bidirectional overrides and lone
  surrogates (which would also make nbformat.write fail); `reports.py` uses them for the
  CSVs, the text feedback and the printed table.
- **Size.** Texts, tracebacks and images are capped.

Markdown is kept as readable as it was. A student cell whose rendering (by nbconvert's own
markdown renderer, exactly as the templates call it) is already safe stays byte for byte
what the student wrote, `a < b` and `$x<y$` included. Otherwise its raw HTML (outside code
spans, fenced code, maths and autolinks, which are left alone) goes through nh3 and the
result is rendered and checked again; when even that is not safe (raw HTML hidden where
markdown does not see code, a `javascript:` link written in markdown, a mermaid block, a
missing attachment that would make nbconvert fail), the cell is shown as its source in a
fenced code block. The check is an allow-list over the rendered HTML, so what it accepts
does not depend on how the rewrite works.
"""

import binascii
import bisect
import copy
import html
import re
import string
import time
import uuid
from collections.abc import Mapping

import nh3

# ------------------------------------------------------------------ limits
MAX_TEXT = 512 * 1024  # characters of one stream text, text/plain, evalue (the sandbox keeps 256 KB per cell)
MAX_HTML = 512 * 1024  # characters of one text/html output (above: dropped, text/plain stays)
MAX_IMAGE = 8 * 1024 * 1024  # base64 characters of one image (about 6 MB of PNG/JPEG)
MAX_TRACEBACK_LINES = 50
MAX_LINE = 16 * 1024  # characters of one traceback line
MAX_NAME = 200  # characters of an exception name, an attachment name
MAX_MARKDOWN = 16 * 1024  # characters of a markdown cell checked as markdown (above: shown as source)
MAX_SHOWN = 256 * 1024  # characters of a markdown cell shown as source (the rest is cut)
MARKDOWN_SECONDS = 2.0  # time for checking one notebook's student markdown (then: shown as source)
MAX_CODE_LINE = 500  # a line longer than this is broken when a cell is shown as source

# ------------------------------------------------------------- plain text
# Terminal escape sequences, 7-bit and 8-bit forms. String sequences (OSC, DCS, SOS, PM,
# APC) run to their terminator; their body never contains another sequence's start, which
# keeps the scan linear on hostile input. An unterminated one loses only its introducer.
_STRING_BODY = r"[^\x07\x1b\x90\x98\x9b\x9c\x9d\x9e\x9f]*"
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase
    rf"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]){_STRING_BODY}(?:\x07|\x1b\\|\x9c)"  # OSC (titles, links), DCS...
    r"|\x1b[ -/]*[0-~]"  # two-character sequences (ESC c resets the terminal), charset selection
)
# Control characters (C0 but tab, newline and carriage return, which is handled apart; DEL,
# C1), bidirectional embeddings, overrides and isolates, zero-width characters, lone surrogates.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def clean_text(text, limit=MAX_TEXT):
    """`text` without terminal escape sequences or control characters (tab and newline stay).

    A carriage return keeps what a terminal would show (the text after it); the result
    has at most `limit` characters. Any input gives a string.
    """
    if not isinstance(text, str):
        text = _as_text(text)
    if limit is not None and len(text) > 4 * limit:
        text = text[: 4 * limit]  # escapes removed below can only shorten it
    text = text.replace("\r\n", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    if "\r" in text:  # a carriage return starts its line again (progress bars): keep what shows last
        text = "\n".join(next((part for part in reversed(line.split("\r")) if part), "")
                         for line in text.split("\n"))
    if limit is not None and len(text) > limit:
        text = text[:limit] + "\n[... output truncated]"
    return text


def one_line(text, limit=None):
    """`clean_text` on one line: newlines and tabs become spaces (ids, reasons, CSV cells)."""
    return re.sub(r"[\n\t]", " ", clean_text(text, limit))


def _as_text(value):
    """A string from a JSON-like value (nbformat's multi-line lists are joined)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "".join(item for item in value if isinstance(item, str))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return ""


def _no_surrogates(text):
    """`text` with lone surrogates replaced (they cannot be written as UTF-8)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", text) if isinstance(text, str) else ""


# ------------------------------------------------------------------- HTML
# One conservative allow-list for every piece of student HTML (markdown cells, raw cells,
# text/html outputs): text formatting, lists, tables, links and images. No script, style,
# iframe, object, embed, form, input, svg or math; no event handler, style, class or id
# attribute; links only to http(s) or mailto, images only from the page itself (no remote
# image: a tracking pixel), no relative URL
# (nbconvert's strip_files_prefix could turn `files/javascript:` into `javascript:`).
HTML_TAGS = frozenset(
    "a abbr b blockquote br caption code col colgroup dd del details div dl dt em h1 h2 h3 h4 h5 h6 hr "
    "i img ins kbd li mark ol p pre q s samp small span strong sub summary sup table tbody td tfoot th "
    "thead tr u ul var".split()
)
HTML_ATTRIBUTES = {
    "*": {"title", "lang"},  # on every tag (nh3's default, spelled out)
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
    "details": {"open"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
def _no_remote_images(tag, attribute, value):
    """nh3's attribute filter: an image never loads from elsewhere (a tracking pixel in the
    instructor's or the student's browser); images come as PNG/JPEG outputs or attachments."""
    return None if tag == "img" and attribute == "src" else value


_CLEANER = nh3.Cleaner(
    attribute_filter=_no_remote_images,
    tags=set(HTML_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in HTML_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def clean_html(text):
    """Student HTML reduced to the allow-list by nh3 (a well-formed fragment)."""
    return _CLEANER.clean(clean_text(text, None))


# A tag as a browser's tokenizer reads it, strictly: ASCII names, attributes separated by
# HTML whitespace, values quoted or unquoted. `check_html` rejects whatever this does not match.
_WS = "[ \t\n\f\r]"
_ATTRIBUTE = (
    r"(?P<name>[A-Za-z_:][-A-Za-z0-9_:.]*)"
    rf"(?:{_WS}*={_WS}*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<uq>[^ \t\n\f\r\"'=<>`]+)))?"
)
_ATTRIBUTE_RE = re.compile(_WS + "+" + _ATTRIBUTE)
_START_TAG = re.compile(
    rf"<(?P<tag>[A-Za-z][A-Za-z0-9]*)(?P<attributes>(?:{_WS}+{re.sub(r'[(][?]P<[a-z]+>', '(?:', _ATTRIBUTE)})*)"
    rf"{_WS}*/?>"
)
_END_TAG = re.compile(rf"</(?P<tag>[A-Za-z][A-Za-z0-9]*){_WS}*>")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_IMAGE_DATA_URL = re.compile(r"data:image/(?:png|jpeg);base64,[A-Za-z0-9+/=]*", re.IGNORECASE)


def _url_ok(value, data_images=False, relative=True):
    """A URL attribute's value (entities decoded, as the browser does) is http(s), mailto or relative."""
    url = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value))  # browsers drop these from URLs
    scheme = _SCHEME.match(url)
    if scheme is None:
        return relative
    if scheme.group(1).lower() in URL_SCHEMES:
        return True
    return data_images and _IMAGE_DATA_URL.fullmatch(url) is not None


def _data_image_ok(value):
    """An image's src may only be a PNG or JPEG written into the page (an attachment)."""
    url = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value))
    return _IMAGE_DATA_URL.fullmatch(url) is not None


def _any(_):
    return True


def _pattern(expression):
    compiled = re.compile(expression)
    return lambda value: compiled.fullmatch(value) is not None


def _policy(extra):
    """{tag: {attribute: check of its value}}: the allow-list above plus what `extra` adds."""
    policy = {tag: {name: _any for name in HTML_ATTRIBUTES.get(tag, set()) | HTML_ATTRIBUTES["*"]} for tag in HTML_TAGS}
    policy["a"].update(href=lambda v: _url_ok(v), rel=_pattern("noopener noreferrer"))
    policy["img"]["src"] = _data_image_ok
    for tag, attributes in extra.items():
        policy.setdefault(tag, {}).update(attributes)
    return policy


# What nbconvert's markdown renderer itself writes around student text: heading anchors,
# Pygments' highlighting, task lists, table alignment, attachments as data: images, relative
# links written in markdown (after strip_files_prefix). No mermaid block.
_RENDERED = _policy({
    **{f"h{level}": {"id": _any} for level in range(1, 7)},
    "a": {"class": _pattern("anchor-link"), "href": lambda v: _url_ok(v)},
    "img": {"src": _data_image_ok},
    "div": {"class": _pattern("highlight")},
    "span": {"class": _pattern("[A-Za-z0-9]{0,6}")},
    "code": {"class": _pattern(r"language-[^\s\"'<>&]*")},
    "li": {"class": _pattern("task-list-item")},
    "input": {"class": _pattern("task-list-item-checkbox"), "type": _pattern("checkbox"),
              "disabled": _any, "checked": _any},
    "th": {"style": _pattern("text-align:(left|right|center)")},
    "td": {"style": _pattern("text-align:(left|right|center)")},
})
_RAW = _policy({})


def check_html(text, policy=None):
    """True when `text` can go verbatim into a page: every tag and attribute is allowed.

    Every `<` a browser could read as markup (before an ASCII letter, `/`, `!` or `?`) must
    start a tag of the allow-list (`policy`, default: what a raw cell may hold) written in
    the strict form above; comments, doctypes and processing instructions are refused.
    Text between tags cannot run anything: no allowed element changes how a browser reads
    the text inside it (no script, style, textarea, title, svg...).
    """
    policy = _RAW if policy is None else policy
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0:
            return True
        following = text[start + 1 : start + 2]
        if following and following in string.ascii_letters:
            match = _START_TAG.match(text, start)
            if match is None or not _tag_allowed(match, policy):
                return False
        elif following == "/":
            match = _END_TAG.match(text, start)
            if match is None or match.group("tag").lower() not in policy:
                return False
        elif following in ("!", "?"):
            return False
        else:
            position = start + 1
            continue
        position = match.end()


def _tag_allowed(match, policy):
    allowed = policy.get(match.group("tag").lower())
    if allowed is None:
        return False
    for attribute in _ATTRIBUTE_RE.finditer(match.group("attributes")):
        check = allowed.get(attribute.group("name").lower())
        value = next((v for v in attribute.group("dq", "sq", "uq") if v is not None), "")
        if check is None or not check(value):
            return False
    return True


# ----------------------------------------------------------------- images
_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
# A 1x1 transparent PNG: stands in for an attachment that is not a PNG or JPEG, so that the
# markdown naming it still renders (nbconvert fails on a missing attachment).
PLACEHOLDER_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def clean_image(value, mimetype):
    """The base64 text of a real PNG or JPEG image (magic bytes checked, size capped), or None."""
    if mimetype not in _MAGIC:
        return None
    value = _as_text(value)
    if not value or len(value) > MAX_IMAGE + MAX_IMAGE // 76 + 16:
        return None
    compact = "".join(value.split())  # base64 is often wrapped
    if len(compact) > MAX_IMAGE or len(compact) % 4:
        return None
    try:
        decoded = binascii.a2b_base64(compact, strict_mode=True)  # only the alphabet and padding, else an error
    except (binascii.Error, ValueError):
        return None
    return compact if decoded.startswith(_MAGIC[mimetype]) else None


# ---------------------------------------------------------------- outputs
def clean_output(output, execution_count):
    """A well-formed nbformat v4 output (a NotebookNode) built from an untrusted dict, or None.

    Built field by field, so it needs no schema validation (that took 0.7 ms an output).
    Kept: stream text, error name, value and traceback (escape sequences and control
    characters removed, sizes capped); of display data and results, text/plain, text/html
    cleaned by nh3, and PNG/JPEG images that really are ones; text/markdown or text/latex
    becomes text/plain when there is none. Everything else (JavaScript, SVG, widgets,
    application/*, metadata) is dropped. None: nothing is left to show (not a dict, a
    display of only unsafe data); a result always stays (its cell's score is read from it).
    An unknown output type becomes an error output. Never raises.
    """
    try:
        return _clean_output(output, execution_count)
    except Exception:  # a bug here must not stop grading; the output is dropped
        return None


def _clean_output(output, number):
    from nbformat import from_dict

    if not isinstance(output, Mapping):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name")
        name = name if isinstance(name, str) and name in ("stdout", "stderr") else "stdout"
        return from_dict({"output_type": "stream", "name": name, "text": clean_text(output.get("text"))})
    if kind in ("display_data", "execute_result"):
        data = _clean_data(output.get("data"))
        if kind == "execute_result":
            count = number if isinstance(number, int) and not isinstance(number, bool) and number >= 0 else None
            return from_dict({"output_type": "execute_result", "data": data, "metadata": {},
                              "execution_count": count})
        if not data:
            return None
        return from_dict({"output_type": "display_data", "data": data, "metadata": {}})
    traceback = output.get("traceback")
    lines = traceback if isinstance(traceback, (list, tuple)) else []
    return from_dict({
        "output_type": "error",
        "ename": one_line(output.get("ename", "Error"), MAX_NAME) or "Error",
        "evalue": clean_text(output.get("evalue", "")),
        "traceback": [clean_text(line, MAX_LINE) for line in lines[:MAX_TRACEBACK_LINES]],
    })


def _clean_data(data):
    if not isinstance(data, Mapping):
        return {}
    clean = {}
    text = data.get("text/plain")
    if text is None:
        text = next((data[k] for k in ("text/markdown", "text/latex") if data.get(k) is not None), None)
    if text is not None:
        clean["text/plain"] = clean_text(text)
    markup = _as_text(data.get("text/html"))
    if markup and len(markup) <= MAX_HTML:
        markup = clean_html(markup)
        if markup.strip():
            clean["text/html"] = markup
    for mimetype in ("image/png", "image/jpeg"):
        image = clean_image(data.get(mimetype), mimetype)
        if image is not None:
            clean[mimetype] = image
    return clean


# --------------------------------------------------------------- markdown
def _markdown_renderer():
    """nbconvert's markdown pipeline, as HTMLExporter.markdown2html runs it (or None)."""
    try:
        from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
        from nbconvert.filters.strings import strip_files_prefix
    except ImportError:  # pragma: no cover - nbconvert is pinned
        return None

    def render(source, attachments):
        renderer = IPythonRenderer(escape=False, attachments=attachments, anchor_link_text="\N{PILCROW SIGN}")
        return strip_files_prefix(MarkdownWithMath(renderer=renderer).render(source))

    return render


_RENDER = _markdown_renderer()


def markdown_is_safe(source, attachments=None, limit=MAX_MARKDOWN):
    """True when nbconvert renders `source` (with these attachments) into allowed HTML only.

    Sources longer than `limit` characters are not rendered (False).
    """
    if _RENDER is None or (limit is not None and len(source) > limit):
        return False
    try:
        rendered = _RENDER(source, dict(attachments or {}))
    except Exception:  # a missing attachment, a renderer failure: not shown as markdown
        return False
    return check_html(rendered, _RENDERED)


def _math_patterns():
    """nbconvert's own maths delimiters, so that maths is left alone like code."""
    try:
        from nbconvert.filters.markdown_mistune import MathInlineParser

        names = ("BLOCK_MATH_TEX", "BLOCK_MATH_LATEX", "INLINE_MATH_TEX", "INLINE_MATH_LATEX", "LATEX_ENVIRONMENT")
        return [re.compile(getattr(MathInlineParser, name)) for name in names]
    except Exception:  # pragma: no cover - another nbconvert: maths goes through nh3 like text
        return []


_MATH = _math_patterns()
_FENCE = re.compile(r"(?m)^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n?")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_AUTOLINK = re.compile(
    r"<(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{1,31}):[^\x00-\x20<>]*"
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*)>"
)


class _Span:
    """A found piece of the source, used like a regex match."""

    def __init__(self, text, start, end):
        self.text, self.start_, self.end_ = text, start, end

    def group(self, _=0):
        return self.text[self.start_ : self.end_]

    def end(self):
        return self.end_


_HOLD = re.compile("\ue000([0-9]+)\ue001")
_BACKTICKS = re.compile("`+")


def _rewrite_markdown(source):
    """Markdown whose raw HTML went through nh3; code, maths and autolinks are left alone.

    A left-to-right scan, linear in the source: fenced code, code spans, maths (nbconvert's
    own delimiters, within a paragraph), markdown escapes and http(s)/mailto autolinks are
    held aside; a `<` that starts a tag or a comment is left for nh3; any other `<` becomes
    `&lt;` (it reads the same, and nh3 cannot swallow the text after it). `>` is put back
    after nh3 (markdown quotes; it never starts markup). Returns the new source and what
    was removed (tag names, attributes, URLs), for the notes.
    """
    source = source.replace("\ue000", "").replace("\ue001", "")
    held, removed, out = [], set(), []

    def hold(text):
        held.append(text)
        return f"\ue000{len(held) - 1}\ue001"

    paragraph_ends = [m.start() for m in _BLANK_LINE.finditer(source)]
    runs = {}  # backtick run length -> starts of the runs of exactly that length
    for run in re.finditer("`+", source):
        runs.setdefault(len(run.group(0)), []).append(run.start())

    comment_ends = [m.end() for m in re.finditer("-->", source)]

    def comment(at):
        """The comment that starts at `at` (a found end, not a search per `<!--`: linear)."""
        if not source.startswith("<!--", at):
            return None
        index = bisect.bisect_left(comment_ends, at + 7)  # `<!-->` and `<!--->` are not comments here
        return _Span(source, at, comment_ends[index]) if index < len(comment_ends) else None

    def paragraph_end(at):
        index = bisect.bisect_right(paragraph_ends, at)
        return paragraph_ends[index] if index < len(paragraph_ends) else length

    position, length = 0, len(source)
    while position < length:
        char = source[position]
        if position == 0 or source[position - 1] == "\n":
            fence = _FENCE.match(source, position)
            if fence and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
                marker = fence.group("fence")
                closing = re.compile(rf"(?m)^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
                end = closing.search(source, fence.end())
                stop = end.end() if end else length
                out.append(hold(source[position:stop]))
                position = stop
                continue
        if char in "$\\":
            limit = paragraph_end(position)
            math = next((m for m in (p.match(source, position, limit) for p in _MATH) if m), None)
            if math:
                out.append(hold(math.group(0)))
                position = math.end()
                continue
            if char == "\\" and position + 1 < length and source[position + 1] in string.punctuation:
                out.append(hold(source[position : position + 2]))  # a markdown escape such as \< or \`
                position += 2
                continue
        if char == "`":
            run = len(_BACKTICKS.match(source, position).group(0))
            starts = runs.get(run, [])
            index = bisect.bisect_right(starts, position)
            stop = starts[index] + run if index < len(starts) and starts[index] < paragraph_end(position) else None
            out.append(hold(source[position:stop]) if stop else source[position : position + run])
            position = stop or position + run
            continue
        if char == "<":
            autolink = _AUTOLINK.match(source, position)
            if autolink and (autolink.group("scheme") is None or autolink.group("scheme").lower() in URL_SCHEMES):
                out.append(hold(autolink.group(0)))
                position = autolink.end()
                continue
            tag = _START_TAG.match(source, position) or _END_TAG.match(source, position) \
                or comment(position)
            if tag:
                removed |= _unsafe_parts(tag.group(0))
                out.append(tag.group(0))  # for nh3 to judge
                position = tag.end()
                continue
            out.append("&lt;")  # not markup: shown as the character it is
            position += 1
            continue
        out.append(char)
        position += 1
    cleaned = _CLEANER.clean("".join(out)).replace("&gt;", ">")
    return _HOLD.sub(lambda m: held[int(m.group(1))], cleaned), removed


def _unsafe_parts(tag):
    """What nh3 removes from one tag: its name, or its attributes (for the notes)."""
    if tag.startswith("<!--"):
        return {"<!-- comment -->"}
    match = _START_TAG.match(tag) or _END_TAG.match(tag)
    name = match.group("tag").lower()
    if name not in HTML_TAGS:
        return {f"<{name}>"}
    found = set()
    for attribute in _ATTRIBUTE_RE.finditer(match.groupdict().get("attributes") or ""):
        attribute_name = attribute.group("name").lower()
        value = next((v for v in attribute.group("dq", "sq", "uq") if v is not None), "")
        if attribute_name not in HTML_ATTRIBUTES.get(name, set()) | HTML_ATTRIBUTES["*"]:
            found.add(f"{attribute_name}=")
        elif attribute_name in ("href", "src") and not _url_ok(value, relative=False):
            scheme = _SCHEME.match(re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value)))
            found.add(f"{scheme.group(1).lower()}: URL" if scheme else "relative URL")
    return found


def as_code_block(text):
    """`text` as a fenced code block no line of it can close (rendered escaped).

    Lines longer than MAX_CODE_LINE are broken: nbconvert's strip_files_prefix is quadratic
    in the length of a line full of brackets.
    """
    lines = [line[i : i + MAX_CODE_LINE] for line in text.split("\n") for i in range(0, max(len(line), 1),
                                                                                   MAX_CODE_LINE)]
    text = "\n".join(lines)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


REMOVED_CELL = "*(This cell could not be shown safely and was removed by the grader.)*"


def clean_markdown(source, attachments=None, deadline=None):
    """(markdown safe to render with nbconvert, what was removed: a list, empty if nothing).

    Safe already: returned unchanged. Else its raw HTML is cleaned by nh3 (and the result
    checked again), else it is shown as its own source in a fenced code block. A cell
    longer than MAX_MARKDOWN, or checked after `deadline` (a time.monotonic() value), is
    shown as source without trying: mistune and nbconvert's filters are quadratic on some
    inputs (a line of 16 000 brackets takes seconds), in the grader and in formgrader alike.
    """
    source = _no_surrogates(_as_text(source))
    if not source.strip():
        return source, []
    if deadline is not None and time.monotonic() >= deadline:
        return _shown_as_source(source, attachments, "no time left to check this markdown", check=False)
    if len(source) > MAX_MARKDOWN:
        return _shown_as_source(source, attachments, "markdown too long to check")
    if markdown_is_safe(source, attachments):
        return source, []
    rewritten, removed = _rewrite_markdown(source)
    if markdown_is_safe(rewritten, attachments):
        return rewritten, sorted(removed) or ["unsafe HTML"]
    return _shown_as_source(source, attachments, "unsafe markdown")


def _shown_as_source(source, attachments, why, check=True):
    """The cell as a code block; `check`: render it to make sure (it is safe by construction)."""
    if len(source) > MAX_SHOWN:
        source, why = source[:MAX_SHOWN] + "\n[... truncated]", f"{why}, truncated"
    shown = as_code_block(source)
    if not check or markdown_is_safe(shown, attachments, limit=None):
        return shown, [f"{why} (the cell is shown as its source)"]
    return REMOVED_CELL, [f"{why} (the cell was removed)"]


def clean_raw(source):
    """(raw cell source safe to include verbatim in HTML, what was removed)."""
    source = _no_surrogates(_as_text(source))
    if check_html(source):
        return source, []
    cleaned = clean_html(source)
    if check_html(cleaned):
        return cleaned, ["unsafe HTML"]
    return html.escape(source, quote=False), ["unsafe HTML (escaped)"]


def clean_attachments(attachments):
    """(attachments of PNG/JPEG images only, names whose data was replaced by a blank image)."""
    if not isinstance(attachments, Mapping):
        return {}, []
    kept, replaced = {}, []
    for name, bundle in list(attachments.items())[:100]:
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            continue
        name = _no_surrogates(name)
        images = {}  # nothing else may stay: nbconvert would prefer an SVG to the PNG next to it
        if isinstance(bundle, Mapping):
            for mimetype in ("image/png", "image/jpeg"):
                image = clean_image(bundle.get(mimetype), mimetype)
                if image is not None:
                    images[mimetype] = image
        if not images:
            replaced.append(name)
            images = {"image/png": PLACEHOLDER_PNG}
        elif set(bundle) - set(images):
            replaced.append(f"{name} (its other data)")
        kept[name] = images
    return kept, replaced


# --------------------------------------------------------------- notebooks
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_TAG = re.compile(r"[^\x00-\x20\x7f-\x9f<>\"'&\ud800-\udfff]{1,100}")


def clean_notebook(notebook, source_notebook):
    """Make a student notebook safe to render and store, in place; return notes on what went.

    - markdown cells the student wrote or edited (not identical to one of the source
      notebook's): `clean_markdown`; raw cells: `clean_raw` (nbconvert puts a raw cell
      without a format verbatim into HTML);
    - attachments (markdown and raw cells): PNG/JPEG images only; an SVG or other data is
      replaced by a blank PNG, so markdown naming it still renders;
    - code cells: outputs cleaned again by `clean_output` (already clean ones are unchanged);
    - cell metadata: only `nbgrader` (taken from the source notebook's cell of that grade_id;
      none for a grade_id the source does not have), `tags` (plain strings), `deletable`,
      `editable`; raw cells lose `format`/`raw_mimetype`; cell ids follow nbformat's pattern
      and are unique; unknown cell types become raw cells; fields nbformat does not define go;
    - notebook metadata: only kernelspec and language_info (the source notebook's when it has
      them) and the source's own `nbgrader` entry; no widget state, title or anything else;
    - lone surrogates (which nbformat.write cannot encode) are replaced everywhere.

    The notes name what was removed (for the instructor; the student reads them in the
    feedback as well). Never raises on a notebook nbformat could read.
    """
    from nbformat import from_dict

    source_cells = list(getattr(source_notebook, "cells", None) or [])
    instructor_text = {_as_text(cell.get("source")) for cell in source_cells
                       if cell.get("cell_type") in ("markdown", "raw")}
    reference = {}
    for cell in source_cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, Mapping) and isinstance(meta.get("grade_id"), str):
            reference[meta["grade_id"]] = meta
    found = {"markdown": {}, "raw": {}, "attachments": [], "outputs": 0, "types": [],
             "deadline": time.monotonic() + MARKDOWN_SECONDS}
    seen_ids = set()
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        cells = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            cells[index] = cell = from_dict({"cell_type": "raw", "source": "", "metadata": {}})
        _clean_cell(cell, index, reference, instructor_text, found, seen_ids)
    notebook["cells"] = cells
    metadata = {}
    source_metadata = getattr(source_notebook, "metadata", None) or {}
    student_metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), Mapping) else {}
    for key in ("kernelspec", "language_info"):
        if isinstance(source_metadata.get(key), Mapping):  # the instructor's
            metadata[key] = copy.deepcopy(source_metadata[key])
        elif isinstance(student_metadata.get(key), Mapping):  # short plain strings only
            value = {k: _no_surrogates(v) for k, v in student_metadata[key].items()
                     if isinstance(k, str) and re.fullmatch("[A-Za-z0-9_]{1,50}", k)
                     and isinstance(v, str) and len(v) <= 200}
            if {"kernelspec": {"name", "display_name"}, "language_info": {"name"}}[key] <= set(value):
                metadata[key] = value
    if isinstance(source_metadata.get("nbgrader"), Mapping):
        metadata["nbgrader"] = copy.deepcopy(source_metadata["nbgrader"])
    notebook["metadata"] = from_dict(metadata)
    for key in list(notebook):
        if key not in ("cells", "metadata", "nbformat", "nbformat_minor"):
            del notebook[key]
    notebook["nbformat"], notebook["nbformat_minor"] = 4, 5  # what these cells are (with ids)
    return _notes(found)


def _clean_cell(cell, index, reference, instructor_text, found, seen_ids):
    from nbformat import from_dict

    kind = cell.get("cell_type")
    if kind not in ("code", "markdown", "raw"):
        found["types"].append(str(kind)[:40])
        kind = cell["cell_type"] = "raw"
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), Mapping) else {}
    clean_meta = {}
    meta = metadata.get("nbgrader")
    grade_id = meta.get("grade_id") if isinstance(meta, Mapping) else None
    if isinstance(grade_id, str) and grade_id in reference:
        clean_meta["nbgrader"] = copy.deepcopy(reference[grade_id])
    tags = metadata.get("tags")
    if isinstance(tags, list):
        clean_meta["tags"] = [t for t in tags if isinstance(t, str) and _TAG.fullmatch(t)][:50]
    for key in ("deletable", "editable"):
        if isinstance(metadata.get(key), bool):
            clean_meta[key] = metadata[key]
    cell["metadata"] = from_dict(clean_meta)
    label = grade_id if isinstance(grade_id, str) and grade_id in reference else f"#{index + 1}"
    cell_id = cell.get("id")
    if not isinstance(cell_id, str) or not _CELL_ID.fullmatch(cell_id) or cell_id in seen_ids:
        cell_id = uuid.uuid4().hex[:8]
        while cell_id in seen_ids:
            cell_id = uuid.uuid4().hex[:8]
    seen_ids.add(cell_id)
    cell["id"] = cell_id
    source = _no_surrogates(_as_text(cell.get("source")))
    allowed = {"id", "cell_type", "metadata", "source"}
    if kind == "code":
        allowed |= {"outputs", "execution_count"}
        count = cell.get("execution_count")
        cell["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 \
            else None
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        cleaned = [clean_output(output, cell["execution_count"]) for output in outputs]
        cell["outputs"] = [output for output in cleaned if output is not None]
        found["outputs"] += len(outputs) - len(cell["outputs"]) + sum(
            _changed(before, after) for before, after in zip(outputs, cleaned, strict=True) if after is not None)
    else:
        allowed.add("attachments")
        if "attachments" in cell:
            attachments, replaced = clean_attachments(cell.get("attachments"))
            found["attachments"] += [f"{label}: {name}" for name in replaced]
            if attachments:
                cell["attachments"] = from_dict(attachments)
            else:
                del cell["attachments"]
        if source not in instructor_text:
            if kind == "markdown":
                source, removed = clean_markdown(source, cell.get("attachments"), found["deadline"])
            else:
                source, removed = clean_raw(source)
            if removed:
                found[kind][label] = removed
    cell["source"] = source
    for key in list(cell):
        if key not in allowed:
            del cell[key]


def _changed(before, after):
    """Whether cleaning an output removed something (the number of outputs that lost data)."""
    if not isinstance(before, Mapping):
        return True
    data = before.get("data")
    if isinstance(data, Mapping):
        return bool(set(data) - set(after.get("data", {})))
    return False


def _notes(found):
    notes = []
    for kind in ("markdown", "raw"):
        if found[kind]:
            parts = sorted({part for removed in found[kind].values() for part in removed},
                           key=lambda part: (not re.search(r"script|=$|URL|source", part), part))
            shown = ", ".join(parts[:8]) + (", ..." if len(parts) > 8 else "")
            notes.append(f"unsafe content removed from {kind} cells {', '.join(found[kind])} ({shown})")
    if found["attachments"]:
        notes.append(f"attachments that are not PNG/JPEG images were removed: {', '.join(found['attachments'][:10])}")
    if found["outputs"]:
        notes.append(f"{found['outputs']} output(s) with unsafe content (scripts, SVG, widgets...) were reduced")
    if found["types"]:
        notes.append(f"cells of unknown types ({', '.join(sorted(set(found['types'])))}) became raw cells")
    return notes
