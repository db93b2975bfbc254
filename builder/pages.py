"""The book's pages, frameworks and build folders, read from config.ini.

Standard library only: the driver imports this before any environment
exists.
"""
import configparser
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / '_build'

# A code cell that d2lbook executes opens with this fence
INPUT_FENCE = re.compile(r'^```+\s*\{\.python\s+\.input')
TOC_FENCE = re.compile(r'^```+\s*toc\s*$')
FENCE = re.compile(r'^```+')


def read_config(root=ROOT):
    config = configparser.ConfigParser()
    config.read(root / 'config.ini', encoding='utf-8')
    return config


def tabs(root=ROOT):
    """The frameworks in config.ini's order; the first is the default."""
    raw = read_config(root)['build']['tabs']
    return [t.strip() for t in raw.split(',') if t.strip()]


def lib_file(tab, root=ROOT):
    """The d2l module that a framework's #@save cells go into."""
    return root / read_config(root)[f'library-{tab}']['lib_file']


def eval_dir(tab):
    """Where the executed notebooks of one framework go."""
    return BUILD / f'eval_{tab}'


def toc_entries(md_path):
    """The pages listed in a page's ```toc block, in order."""
    entries, inside = [], False
    for line in Path(md_path).read_text(encoding='utf-8').splitlines():
        if TOC_FENCE.match(line):
            inside = True
        elif inside and FENCE.match(line):
            inside = False
        elif inside and line.strip() and not line.strip().startswith(':'):
            entries.append(line.strip())
    return entries


def pages(root=ROOT):
    """Every page of the book in reading order, as paths relative to root.

    The order is the toc's, starting at config.ini's index page; a page
    that the toc does not reach is no part of the book.
    """
    index = read_config(root)['build']['index'] + '.md'
    ordered, todo = [], [Path(index)]
    while todo:
        page = todo.pop(0)
        if page in ordered:
            continue
        ordered.append(page)
        children = [page.parent / (e + '.md')
                    for e in toc_entries(root / page)]
        todo[:0] = [c for c in children if (root / c).exists()]
    return ordered


def input_cell_lines(md_text):
    """Line numbers (1-based) of the fences that open executable cells."""
    return [i + 1 for i, line in enumerate(md_text.splitlines())
            if INPUT_FENCE.match(line)]


# The kernel inherits these: quiet frameworks, reproducible hashing and
# single-threaded math, so that every build prints the same numbers
KERNEL_ENV = {
    'TF_CPP_MIN_LOG_LEVEL': '3',
    'TF_ENABLE_ONEDNN_OPTS': '0',
    'ABSL_MIN_LOG_LEVEL': '3',
    'GRPC_VERBOSITY': 'ERROR',
    'PYTHONHASHSEED': '0',
    'PYTHONWARNINGS': 'ignore',
    'OMP_NUM_THREADS': '1',
    'MPLBACKEND': 'agg',
}

# Bump when a change to the build alters what notebooks hold
FORMAT_VERSION = '2'


def file_digest(*paths):
    """A short content hash over several files, in the given order."""
    h = hashlib.sha256()
    for p in paths:
        h.update(str(Path(p).name).encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Job:
    """One page to execute in one framework."""
    page: Path
    tab: str

    @property
    def out(self):
        """The executed notebook, relative to the book's root."""
        return (eval_dir(self.tab) / self.page.with_suffix('.ipynb')
                ).relative_to(ROOT)

    @property
    def selected(self):
        """The framework's cells of the page, waiting to be executed."""
        return (BUILD / 'select' / self.tab / self.page.with_suffix(
            '.ipynb')).relative_to(ROOT)

    def __str__(self):
        return f'{self.page} [{self.tab}]'
