"""The Markdown model of a page: code cells, prose tabs, labels, problems.

A page is d2lbook Markdown: ```{.python .input} fences whose first line
names their frameworks (``%%tab pytorch, jax``), prose tabs between
``:begin_tab:`jax``` and ``:end_tab:``, and ``:label:``/``:numref:``
roles. A page with code opens with d2lbook's framework-selection cell
(SELECTION), which has no %%tab line and which the build drops. This
module reads that structure and nothing else; the checks built on it
live in builder.lint. Standard library only.
"""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

# A code cell that d2lbook executes opens with this fence
INPUT_FENCE = re.compile(r'^```+\s*\{\.python\s+\.input')
FENCE = re.compile(r'^```+')
TAB_LINE = re.compile(r'^(?:%%tab|#\s*@tab)\s+(.*)$')
BEGIN_TAB = re.compile(r'^:begin_tab:`([^`]*)`\s*$')
END_TAB = re.compile(r'^:end_tab:\s*$')
LABEL = re.compile(r':(label|eqlabel):`([^`]+)`')
REF = re.compile(r':(numref|eqref|ref):`([^`]+)`')
# The first code cell of a page with code: in Jupyter it offers the
# frameworks, and only the chosen one's cells run (d2lbook.tab)
LOAD_TAB = '%load_ext d2lbook.tab'
SELECT_CALL = re.compile(r'^tab\.interact_select\((.*)\)$')


@dataclass
class Problem:
    """Something wrong with a file, reported as ``file:line: cause``."""
    path: Path
    line: int
    cause: str

    def __str__(self):
        return f'{self.path}:{self.line}: {self.cause}'


@dataclass
class Cell:
    line: int          # line of the opening fence
    tabs: list         # [] when the cell has no %%tab line
    source: list       # (line number, text) of the code, tab line excluded


@dataclass
class ProseTab:
    line: int
    tabs: list


def selection(tabs):
    """The framework-selection cell of a book with these frameworks."""
    return f'```{{.python .input}}\n{LOAD_TAB}\ntab.interact_select({tabs!r})\n```\n'


def is_selection(cell):
    """Whether a code cell is the framework selection (d2lbook drops any
    cell that loads its extension)."""
    return any(t.strip() == LOAD_TAB for _, t in cell.source)


def selected_tabs(cell):
    """The frameworks a selection cell offers; None if it is not in the
    form `selection` writes."""
    lines = [t for _, t in cell.source]
    call = SELECT_CALL.match(lines[1]) if len(lines) == 2 else None
    if cell.tabs or lines[0] != LOAD_TAB or call is None:
        return None
    try:
        tabs = ast.literal_eval(call.group(1))
    except (ValueError, SyntaxError):
        return None
    return tabs if isinstance(tabs, list) else None


def split_tabs(raw):
    return [t.strip() for t in raw.split(',') if t.strip()]


def parse(path, text):
    """Split a page into code cells, prose tabs and problems of structure.

    Returns (blocks, problems); blocks is the page's sequence of Cell,
    ProseTab and None (any other non-blank prose line).
    """
    blocks, problems = [], []
    lines = text.splitlines()
    open_tab = None
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].startswith(fence.group(0))
                        and not lines[j].strip('`').strip()), None)
            if end is None:
                problems.append(Problem(path, i + 1, 'code fence never '
                                        'closed'))
                break
            if INPUT_FENCE.match(line):
                blocks.append(_cell(i, lines[i + 1:end]))
            else:
                blocks.append(None)
            i = end + 1
            continue
        begin = BEGIN_TAB.match(line)
        if begin:
            if open_tab is not None:
                problems.append(Problem(
                    path, i + 1, f':begin_tab: inside the prose tab opened '
                    f'on line {open_tab} (missing :end_tab:)'))
            open_tab = i + 1
            blocks.append(ProseTab(i + 1, split_tabs(begin.group(1))))
        elif END_TAB.match(line):
            if open_tab is None:
                problems.append(Problem(path, i + 1, ':end_tab: without '
                                        ':begin_tab:'))
            open_tab = None
        elif line.strip() and open_tab is None:
            blocks.append(None)
        i += 1
    if open_tab is not None:
        problems.append(Problem(path, open_tab, ':begin_tab: without '
                                ':end_tab:'))
    return blocks, problems


def _cell(i, body):
    first = body[0].strip() if body else ''
    match = TAB_LINE.match(first)
    if not match:
        return Cell(i + 1, [], [(i + 2 + k, t) for k, t in enumerate(body)])
    return Cell(i + 1, split_tabs(match.group(1)),
                [(i + 3 + k, t) for k, t in enumerate(body[1:])])


def cells(path, text):
    """The page's code cells, in order."""
    blocks, _ = parse(path, text)
    return [b for b in blocks if isinstance(b, Cell)]


def input_cell_lines(text):
    """Line numbers (1-based) of the fences that open executable cells."""
    return [i + 1 for i, line in enumerate(text.splitlines())
            if INPUT_FENCE.match(line)]
