"""Each language's glossary, read as data, and the check that its prose obeys it.

A glossary (``<lang>/GLOSSARY.md``) is a Markdown table of four columns:
the English term, the one form to use, the variants that must not
appear in that language's prose (each in backticks), and a note::

    | English | 한국어 | 쓰지 않는 말 | 비고 |
    | layer | 층 | `레이어` | |
    | shape | 모양 | `shape`, `형상`, `!형상화` | |

A variant written as `` `!word` `` is an allowed exception: a longer
correct word that contains a forbidden variant (`형상화` above). The
check skips the glossaries, code blocks, inline code, math, roles such
as ``:numref:`...` `` and HTML comments; it also reads the words the page
script shows in that language (``static/words.json``). Latin-script
variants match whole words, case-insensitively; others match anywhere.
Standard library only.
"""
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from builder import book
from builder.markdown import Problem

WORDS = Path('static') / 'words.json'
BACKTICKED = re.compile(r'`([^`]+)`')
ROLE = re.compile(r':[a-z_]+:`[^`]*`')
INLINE_CODE = re.compile(r'``.*?``|`[^`]*`')
INLINE_MATH = re.compile(r'\$[^$]+\$')
COMMENT = re.compile(r'<!--.*?-->')
LINK_TARGET = re.compile(r'\]\([^)]*\)|<https?://[^>]*>')


@dataclass(frozen=True)
class Rule:
    """One glossary row that forbids something."""
    english: str
    use: str
    avoid: tuple
    allow: tuple
    line: int

    def pattern(self, variant):
        return variant_pattern(variant)


@functools.lru_cache(maxsize=None)
def variant_pattern(variant):
    """The regular expression that finds a variant in prose, compiled once:
    the check asks for it on every line of every page."""
    text = re.escape(variant)
    # Whole words for Latin script, so `dense` misses `condensed`
    if re.match(r'[A-Za-z0-9]', variant):
        text = r'(?<![A-Za-z0-9])' + text
    if re.search(r'[A-Za-z0-9]$', variant):
        text += r'(?![A-Za-z0-9])'
    return re.compile(text, re.IGNORECASE)


def glossary_path(lang):
    return Path(lang) / 'GLOSSARY.md'


def table_cells(line):
    line = line.strip()
    if not (line.startswith('|') and line.endswith('|')):
        return None
    return [cell.strip() for cell in line[1:-1].split('|')]


def rules(lang, root=book.ROOT):
    """The rows of a language's glossary that forbid variants."""
    path = root / glossary_path(lang)
    found = []
    lines = path.read_text(encoding='utf-8').splitlines()
    for number, line in enumerate(lines, 1):
        cells = table_cells(line)
        if not cells or len(cells) != 4 or set(cells[0]) <= set('-: '):
            continue
        following = table_cells(lines[number]) if number < len(lines) \
            else None
        if following and set(following[0]) <= set('-: '):
            continue  # the header row
        items = BACKTICKED.findall(cells[2])
        avoid = tuple(i for i in items if not i.startswith('!'))
        allow = tuple(i[1:] for i in items if i.startswith('!'))
        if avoid:
            found.append(Rule(cells[0], cells[1], avoid, allow, number))
    return found


def prose_lines(text):
    """(line number, text) of a page's prose, with code, math, roles and
    comments blanked out so that only words a reader reads remain."""
    inside_fence = inside_math = False
    fence = ''
    text = COMMENT.sub(lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text)
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if inside_fence:
            if stripped.startswith(fence) and not stripped.strip('`'):
                inside_fence = False
            continue
        match = re.match(r'^(```+|~~~+)', stripped)
        if match:
            inside_fence, fence = True, match.group(1)
            continue
        if stripped.startswith('$$'):
            # A one-line display equation opens and closes on its line
            if not (len(stripped) > 2 and stripped.endswith('$$')):
                inside_math = not inside_math
            continue
        if inside_math:
            continue
        for pattern in (ROLE, INLINE_CODE, INLINE_MATH, LINK_TARGET):
            line = pattern.sub(' ', line)
        yield number, line


def check_text(path, lines, found_rules, lang):
    problems = []
    for number, line in lines:
        for rule in found_rules:
            masked = line
            for allowed in rule.allow:
                masked = rule.pattern(allowed).sub(' ', masked)
            for variant in rule.avoid:
                if rule.pattern(variant).search(masked):
                    problems.append(Problem(
                        path, number, f'{variant!r} is not used for '
                        f'{rule.english!r}: write {rule.use!r} (see '
                        f'{glossary_path(lang)}:{rule.line})'))
    return problems


def page_words(lang, root=book.ROOT):
    """The strings the page script shows in a language, as (key, text)."""
    path = root / WORDS
    if not path.exists():
        return []
    return sorted(json.loads(path.read_text(encoding='utf-8'))
                  .get(lang, {}).items())


def check(lang, root=book.ROOT):
    """Every use of a forbidden variant in a language's prose."""
    found_rules = rules(lang, root)
    problems = []
    for path in sorted((root / lang).rglob('*.md')):
        rel = path.relative_to(root)
        if rel == glossary_path(lang):
            continue
        text = path.read_text(encoding='utf-8')
        problems += check_text(rel, prose_lines(text), found_rules, lang)
    words = page_words(lang, root)
    if words:
        text = (root / WORDS).read_text(encoding='utf-8').splitlines()
        for key, value in words:
            number = next((i for i, line in enumerate(text, 1)
                           if f'"{key}"' in line and value in line), 1)
            problems += check_text(WORDS, [(number, value)], found_rules,
                                   lang)
    return problems


def main():
    """python3 -m builder.glossary [LANG...]: print every problem."""
    import sys
    langs = sys.argv[1:] or book.languages()
    problems = [p for lang in langs for p in check(lang)]
    for problem in problems:
        print(problem)
    counts = ', '.join(f'{lang} {len(rules(lang))} rules' for lang in langs)
    print(f'glossary: {len(problems)} problem(s) ({counts})')
    return 1 if problems else 0


if __name__ == '__main__':
    raise SystemExit(main())
