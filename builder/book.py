"""The book as config.ini describes it: frameworks, languages, pages, folders.

Standard library only: the driver imports this before any environment
exists. Every other module asks here which frameworks and languages the
book has; nothing else spells them out.
"""
import configparser
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / '_build'
# Set (by --debug) to show tracebacks instead of one-line messages
DEBUG = 'BUILDERS_GUIDE_DEBUG'

TOC_FENCE = re.compile(r'^```+\s*toc\s*$')
FENCE = re.compile(r'^```+')


def read_config(root=ROOT):
    config = configparser.ConfigParser()
    config.read(root / 'config.ini', encoding='utf-8')
    return config


def _listed(raw):
    return [item.strip() for item in raw.split(',') if item.strip()]


def tabs(root=ROOT):
    """The frameworks in config.ini's order; the first is the default."""
    return _listed(read_config(root)['build']['tabs'])


def labels(root=ROOT):
    """The name each framework's tab shows, e.g. {'jax': 'JAX'}."""
    config = read_config(root)
    named = config['frameworks'] if config.has_section('frameworks') else {}
    return {tab: named.get(tab, tab) for tab in tabs(root)}


def languages(root=ROOT):
    """The translations, in config.ini's order (English is the book)."""
    return _listed(read_config(root).get('translation', 'languages',
                                         fallback=''))


def setting(section, key, fallback, root=ROOT):
    """A value of config.ini, converted to the type of its fallback."""
    config = read_config(root)
    if isinstance(fallback, bool):
        return config.getboolean(section, key, fallback=fallback)
    if isinstance(fallback, (int, float)):
        return type(fallback)(config.get(section, key, fallback=fallback))
    return config.get(section, key, fallback=fallback)


def page_setting(page, key, fallback, root=ROOT):
    """A setting for one page: its ``[page PATH]`` section of config.ini
    (a translated page has its English page's), else ``[build]``'s, else
    the fallback; converted to the fallback's type."""
    english = english_of(page, root) or Path(page)
    section = f'page {english.as_posix()}'
    config = read_config(root)
    if config.has_option(section, key):
        return setting(section, key, fallback, root)
    return setting('build', key, fallback, root)


def lib_file(tab, root=ROOT):
    """The d2l module that a framework's #@save cells go into."""
    return root / read_config(root)[f'library-{tab}']['lib_file']


def lib_module(tab, root=ROOT):
    """The d2l module of a framework, e.g. 'd2l.torch' for pytorch."""
    return 'd2l.' + lib_file(tab, root).stem


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


def translated(lang, page):
    """A page's path in a translation, e.g. ko/chapter_.../x.md."""
    return Path(lang) / page


def english_of(page, root=ROOT):
    """The English page a translated page translates; None for English."""
    page = Path(page)
    if page.parts and page.parts[0] in languages(root):
        return Path(*page.parts[1:])
    return None


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


@dataclass(frozen=True)
class Job:
    """One page in one framework: what is executed, cached and merged."""
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
