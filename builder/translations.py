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

from builder import lint, pages

MARKER = re.compile(r'^<!-- translates (\S+) @ ([0-9a-f]{7,40})'
                    r'(?: \(([^)]*)\))? -->$')


def languages(root=pages.ROOT):
    raw = pages.read_config(root).get('translation', 'languages',
                                      fallback='')
    return [lang.strip() for lang in raw.split(',') if lang.strip()]


def translated_pages(lang, root=pages.ROOT):
    """The English pages of the book, as paths inside the language."""
    return [Path(lang) / page for page in pages.pages(root)]


def english_of(translated):
    return Path(*Path(translated).parts[1:])


def english_job(job, root=pages.ROOT):
    """For a translated page's job, the English job it takes code and
    outputs from; None for an English page."""
    if job.page.parts[0] in languages(root):
        return pages.Job(english_of(job.page), job.tab)
    return None


def blob(path, root=pages.ROOT):
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


def cells(path, text):
    blocks, _ = lint.parse(path, text)
    return [b for b in blocks if isinstance(b, lint.Cell)]


def check_code(translated, root=pages.ROOT):
    """Problems where a translated page's code differs from English."""
    english = english_of(translated)
    mine = cells(translated, (root / translated).read_text(encoding='utf-8'))
    theirs = cells(english, (root / english).read_text(encoding='utf-8'))
    if len(mine) != len(theirs):
        return [lint.Problem(translated, 1, f'{len(mine)} code cells, but '
                             f'{english} has {len(theirs)}')]
    problems = []
    for a, b in zip(mine, theirs):
        if a.tabs != b.tabs:
            problems.append(lint.Problem(translated, a.line, f'tabs {a.tabs}'
                                         f' differ from {english}:{b.line}'))
        elif code_tokens([t for _, t in a.source]) != code_tokens(
                [t for _, t in b.source]):
            problems.append(lint.Problem(
                translated, a.line, f'code differs from {english}:{b.line} '
                '(only comments may be translated)'))
    return problems


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


def status(translated, root=pages.ROOT):
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


def stale_pages(root=pages.ROOT):
    return [s for lang in languages(root)
            for s in map(lambda p: status(p, root),
                         translated_pages(lang, root)) if s.stale]


def accept(translated, reason, root=pages.ROOT):
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


def report(root=pages.ROOT):
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
