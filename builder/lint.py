"""Check the book's Markdown before any kernel starts.

``python3 -m builder lint`` prints each problem as ``file:line: cause``
and exits non-zero when there is one. It checks the English pages, each
translation (the same structure, and code identical to English) and each
glossary's forbidden variants. Standard library only, so it runs before
any environment exists.
"""
import ast

from builder import book, glossary, translations
from builder.markdown import (LABEL, REF, Cell, Problem, ProseTab,
                              is_selection, parse, selected_tabs, selection)

MAX_LINE = 78


def check_cell(path, cell, known_tabs):
    problems = []
    if not cell.tabs:
        problems.append(Problem(path, cell.line, 'code cell has no %%tab '
                                'line, so it would run in the default tab '
                                'only'))
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


def check_selection(path, blocks, known_tabs):
    """A page with code opens with the framework selection, listing
    config.ini's frameworks; no other cell is one."""
    found = [b for b in blocks if isinstance(b, Cell)]
    problems = []
    if any(not is_selection(c) for c in found) and not is_selection(found[0]):
        problems.append(Problem(
            path, found[0].line, 'the first code cell is not the framework '
            'selection (%load_ext d2lbook.tab, then tab.interact_select of '
            'config.ini\'s frameworks), so Jupyter would run every '
            'framework\'s cells'))
    for cell in found:
        if not is_selection(cell):
            continue
        tabs = selected_tabs(cell)
        if cell is not found[0]:
            problems.append(Problem(path, cell.line, 'framework selection '
                                    'after the first code cell'))
        elif tabs is None:
            problems.append(Problem(
                path, cell.line, 'framework selection is not in the form '
                f'{selection(known_tabs)!r} (and takes no %%tab line)'))
        elif tabs != known_tabs:
            problems.append(Problem(
                path, cell.line, f'framework selection lists '
                f'{", ".join(map(str, tabs))}; config.ini has '
                f'{", ".join(known_tabs)}'))
    return problems


def check_groups(path, blocks, known_tabs):
    """Every run of adjacent code cells covers every framework.

    A framework may be left out only where a prose tab for it stands
    right before or after the group, saying why.
    """
    problems = []
    # The selection is no framework's code
    blocks = [None if isinstance(b, Cell) and is_selection(b) else b
              for b in blocks]
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


def lint(root=book.ROOT):
    """Every problem of the English book and of each translation."""
    problems = lint_book(root, book.pages(root))
    for lang in book.languages(root):
        found = [p for p in translations.translated_pages(lang, root)
                 if (root / p).exists()]
        problems += lint_book(root, found)
        for page in found:
            problems += translations.check_marker(page, root)
            problems += translations.check_code(page, root)
        if (root / glossary.glossary_path(lang)).exists():
            problems += glossary.check(lang, root)
    return sorted(problems, key=lambda p: (str(p.path), p.line))


def lint_book(root, book_pages):
    """Structure, code and references of one language's pages."""
    known_tabs = book.tabs(root)
    texts = {page: (root / page).read_text(encoding='utf-8')
             for page in book_pages}
    problems = []
    for path, text in texts.items():
        blocks, found = parse(path, text)
        problems += found
        for block in blocks:
            if isinstance(block, Cell) and not is_selection(block):
                problems += check_cell(path, block, known_tabs)
        if any(isinstance(b, Cell) for b in blocks):
            problems += check_selection(path, blocks, known_tabs)
        problems += check_groups(path, blocks, known_tabs)
    problems += check_labels(texts)
    return problems


def main(root=book.ROOT):
    problems = lint(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f'lint: {len(problems)} problem(s); no kernel was started')
        return 1
    count = len(book.pages(root)) * (1 + len(book.languages(root)))
    print(f'lint: {count} pages checked, no problems')
    return 0
