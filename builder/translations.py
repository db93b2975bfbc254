"""Translations of the chapter: same code as English, never silently stale.

A translated page lives at ``<lang>/<page>`` (for example
``ko/chapter_builders-guide/parameters.md``) and begins with a line that
records which revision of the English page it translates::

    <!-- translates chapter_builders-guide/parameters.md @ 3f2a9c1d0b7e -->

(the English file's git blob hash, shortened). Standard library only.

    python3 -m builder translations            # stale pages, with diffs
    python3 -m builder translations --accept ko/chapter_builders-guide/x.md
                                               # English change reviewed:
                                               # it needs no translation
"""
import io
import re
import subprocess
import tokenize
from dataclasses import dataclass
from pathlib import Path

from builder import book
from builder.markdown import Problem, cells

MARKER = re.compile(r'^<!-- translates (\S+) @ ([0-9a-f]{7,40})'
                    r'(?: \(([^)]*)\))? -->$')


def translated_pages(lang, root=book.ROOT):
    """The English pages of the book, as paths inside the language."""
    return [book.translated(lang, page) for page in book.pages(root)]


def english_of(translated):
    return book.english_of(translated) or Path(translated)


def blob(path, root=book.ROOT):
    """The git blob hash of a file as it is now in the working tree."""
    # -w stores the blob, so later diffs against this revision work
    return subprocess.run(['git', 'hash-object', '-w', str(path)], cwd=root,
                          check=True, capture_output=True,
                          text=True).stdout.strip()


def code_tokens(source):
    """The tokens of a cell without comments and layout-only tokens."""
    lines = [('' if line.lstrip().startswith(('%', '!')) else line)
             for line in source]
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
            tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    text = '\n'.join(lines) + '\n'
    return [(tok.type, tok.string) for tok in
            tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type not in skip]


def check_code(translated, root=book.ROOT):
    """Problems where a translated page's code differs from English."""
    english = english_of(translated)
    mine = cells(translated, (root / translated).read_text(encoding='utf-8'))
    theirs = cells(english, (root / english).read_text(encoding='utf-8'))
    if len(mine) != len(theirs):
        return [Problem(translated, 1, f'{len(mine)} code cells, but '
                             f'{english} has {len(theirs)}')]
    problems = []
    for a, b in zip(mine, theirs):
        if a.tabs != b.tabs:
            problems.append(Problem(translated, a.line, f'tabs {a.tabs}'
                                         f' differ from {english}:{b.line}'))
        elif code_tokens([t for _, t in a.source]) != code_tokens(
                [t for _, t in b.source]):
            problems.append(Problem(
                translated, a.line, f'code differs from {english}:{b.line} '
                '(only comments may be translated)'))
    return problems


def check_marker(translated, root=book.ROOT):
    """A problem if the page does not open with its translates marker."""
    lines = (root / translated).read_text(encoding='utf-8').splitlines()
    match = MARKER.match(lines[0]) if lines else None
    english = english_of(translated)
    if not match or match.group(1) != str(english):
        return [Problem(translated, 1, f'the first line must be <!-- '
                        f'translates {english} @ REVISION -->, alone')]
    return []


@dataclass
class Status:
    page: Path
    recorded: str = ''
    current: str = ''
    problem: str = ''

    @property
    def stale(self):
        return bool(self.problem) or not self.current.startswith(
            self.recorded)


def status(translated, root=book.ROOT):
    path = root / translated
    if not path.exists():
        return Status(translated, problem='missing')
    first = path.read_text(encoding='utf-8').splitlines()[0]
    match = MARKER.match(first)
    english = english_of(translated)
    if not match or match.group(1) != str(english):
        return Status(translated, problem=f'first line must be <!-- '
                      f'translates {english} @ REVISION -->')
    return Status(translated, match.group(2), blob(english, root))


def stale_pages(root=book.ROOT):
    return [s for lang in book.languages(root)
            for s in map(lambda p: status(p, root),
                         translated_pages(lang, root)) if s.stale]


def accept(translated, reason, root=book.ROOT):
    """Record that the current English page is what this page translates."""
    path = root / translated
    lines = path.read_text(encoding='utf-8').splitlines(keepends=True)
    english = english_of(translated)
    note = f' ({reason})' if reason else ''
    marker = f'<!-- translates {english} @ {blob(english, root)[:12]}{note}' \
        ' -->\n'
    if lines and MARKER.match(lines[0].rstrip('\n')):
        lines[0] = marker
    else:
        lines.insert(0, marker)
    path.write_text(''.join(lines), encoding='utf-8')


def report(root=book.ROOT):
    """Print every stale page with the English diff to translate."""
    stale = stale_pages(root)
    for item in stale:
        print(f'{item.page}: {item.problem or "the English page changed"}')
        if item.recorded:
            diff = subprocess.run(
                ['git', 'diff', '--no-color', item.recorded, item.current],
                cwd=root, capture_output=True, text=True).stdout
            print(diff or '  (the recorded revision is not in this '
                  'repository; compare by hand)')
    return stale
