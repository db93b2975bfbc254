"""Check the chapter's Markdown before any kernel starts.

Each problem is reported as ``file:line: cause``. Standard library only,
so it runs before any environment exists.
"""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

from builder import pages

MAX_LINE = 78
TAB_LINE = re.compile(r'^(?:%%tab|#\s*@tab)\s+(.*)$')
BEGIN_TAB = re.compile(r'^:begin_tab:`([^`]*)`\s*$')
END_TAB = re.compile(r'^:end_tab:\s*$')
LABEL = re.compile(r':(label|eqlabel):`([^`]+)`')
REF = re.compile(r':(numref|eqref|ref):`([^`]+)`')


@dataclass
class Problem:
    path: Path
    line: int
    cause: str

    def __str__(self):
        return f'{self.path}:{self.line}: {self.cause}'


@dataclass
class Cell:
    line: int          # line of the opening fence
    tabs: list
    source: list       # (line number, text) of the code, tab line excluded


@dataclass
class ProseTab:
    line: int
    tabs: list


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
        fence = pages.FENCE.match(line)
        if fence:
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].startswith(fence.group(0))
                        and not lines[j].strip('`').strip()), None)
            if end is None:
                problems.append(Problem(path, i + 1, 'code fence never '
                                        'closed'))
                break
            if pages.INPUT_FENCE.match(line):
                blocks.append(_cell(path, i, lines[i + 1:end], problems))
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
            blocks.append(ProseTab(i + 1, _split_tabs(begin.group(1))))
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


def _split_tabs(raw):
    return [t.strip() for t in raw.split(',') if t.strip()]


def _cell(path, i, body, problems):
    first = body[0].strip() if body else ''
    match = TAB_LINE.match(first)
    if not match:
        problems.append(Problem(path, i + 1, 'code cell has no %%tab line, '
                                'so it would run in the default tab only'))
        return Cell(i + 1, [], [(i + 2 + k, t) for k, t in enumerate(body)])
    return Cell(i + 1, _split_tabs(match.group(1)),
                [(i + 3 + k, t) for k, t in enumerate(body[1:])])


def check_cell(path, cell, known_tabs):
    problems = []
    for tab in cell.tabs:
        if tab not in known_tabs + ['all']:
            problems.append(Problem(
                path, cell.line, f'unknown tab {tab!r} (config.ini has '
                f'{", ".join(known_tabs)})'))
    for number, text in cell.source:
        if len(text) > MAX_LINE:
            problems.append(Problem(path, number, f'code line is {len(text)} '
                                    f'characters, over the page width of '
                                    f'{MAX_LINE}'))
    code = '\n'.join('' if t.lstrip().startswith(('%', '!')) else t
                     for _, t in cell.source)
    try:
        ast.parse(code)
    except SyntaxError as error:
        first = cell.source[0][0] if cell.source else cell.line
        saved = ' #@save block' if '@save' in code else ''
        problems.append(Problem(path, first + (error.lineno or 1) - 1,
                                f'invalid Python in code cell{saved}: '
                                f'{error.msg}'))
    return problems


def check_groups(path, blocks, known_tabs):
    """Every run of adjacent code cells covers every framework.

    A framework may be left out only where a prose tab for it stands
    right before or after the group, saying why.
    """
    problems = []
    i = 0
    while i < len(blocks):
        if not isinstance(blocks[i], Cell):
            i += 1
            continue
        j = i
        while j < len(blocks) and isinstance(blocks[j], Cell):
            j += 1
        group = blocks[i:j]
        covered = set()
        for cell in group:
            covered |= set(known_tabs if 'all' in cell.tabs else cell.tabs)
        explained = set()
        for k in _adjacent_prose_tabs(blocks, i, j):
            explained |= set(blocks[k].tabs)
        missing = [t for t in known_tabs if t not in covered | explained]
        if missing and all(c.tabs for c in group):
            problems.append(Problem(
                path, group[0].line, f'code group has no {", ".join(missing)} '
                'tab and no prose tab next to it saying why'))
        i = j
    return problems


def _adjacent_prose_tabs(blocks, start, end):
    k = start - 1
    while k >= 0 and isinstance(blocks[k], ProseTab):
        yield k
        k -= 1
    k = end
    while k < len(blocks) and isinstance(blocks[k], ProseTab):
        yield k
        k += 1


def check_labels(texts):
    """Labels are unique across the book and every reference has a target."""
    problems, labels = [], {}
    for path, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            for _, name in LABEL.findall(line):
                if name in labels:
                    first = labels[name]
                    problems.append(Problem(path, number, f'duplicate label '
                                            f'{name!r}, first at {first[0]}:'
                                            f'{first[1]}'))
                else:
                    labels[name] = (path, number)
    for path, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            for kind, name in REF.findall(line):
                if name not in labels:
                    problems.append(Problem(path, number, f':{kind}: to '
                                            f'unknown label {name!r}'))
    return problems


def lint(root=pages.ROOT):
    """Check the English book, then each translation that exists."""
    from builder import translations
    problems = lint_book(root, pages.pages(root))
    for lang in translations.languages(root):
        found = [p for p in translations.translated_pages(lang, root)
                 if (root / p).exists()]
        problems += lint_book(root, found)
        for page in found:
            problems += translations.check_code(page, root)
    return sorted(problems, key=lambda p: (str(p.path), p.line))


def lint_book(root, book_pages):
    """Structure, code and references of one language's pages."""
    known_tabs = pages.tabs(root)
    texts = {page: (root / page).read_text(encoding='utf-8')
             for page in book_pages}
    problems = []
    for path, text in texts.items():
        blocks, found = parse(path, text)
        problems += found
        for block in blocks:
            if isinstance(block, Cell):
                problems += check_cell(path, block, known_tabs)
        problems += check_groups(path, blocks, known_tabs)
    problems += check_labels(texts)
    return problems


def main():
    problems = lint()
    for problem in problems:
        print(problem)
    if problems:
        print(f'lint: {len(problems)} problem(s); no kernel was started')
        return 1
    from builder import translations
    count = len(pages.pages()) * (1 + len(translations.languages()))
    print(f'lint: {count} pages checked, no problems')
    return 0
