"""Merge the frameworks' executed notebooks into tabbed pages; run Sphinx.

``<tools python> -m builder.tools.html --tabs A,B [--langs en,ko]``
builds the sites named, in one process: English (``en``, the default)
and the translations. It reads only the
executed notebooks that the runs recorded in _build/state.json and
refuses any notebook whose key differs, so no page is ever built from a
stale or missing framework. A file is rewritten only when its content
changed, so Sphinx re-reads only pages that changed. It also publishes
each framework's notebooks, one by one and as a zip.
"""
import hashlib
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from d2lbook import notebook
from d2lbook import rst as rst_lib
from d2lbook.config import Config
from d2lbook.slides import remove_slide_marks
from d2lbook.sphinx import prepare_sphinx_env
from sphinx.cmd.build import build_main

from builder import book, state
from builder.book import BUILD, ROOT, Job, pages
from builder.state import write_if_changed
from builder.tools import arguments, run_step, working_on
from builder.tools.notebooks import text_notebook
from builder.tools.publish import publish_notebooks

HTML = BUILD / 'html'
# Added to the conf.py that d2lbook writes for every site: the book's own
# small theme (static/theme/book) instead of d2lbook's Material Design
# Lite one, math typeset at build time (builder/tools/mathml.py), and no
# copies of the rst sources in the published site
SPHINX_OPTIONS = """
html_theme = 'book'
html_theme_path = [{theme!r}]
html_theme_options = {{}}
extensions.append('builder.tools.mathml')
html_math_renderer = 'mathml'
html_copy_source = False
html_show_sourcelink = False
"""


class StaleBuild(RuntimeError):
    """An executed notebook is missing or not the one the eval stage made."""


def executed(page, tab, recorded):
    """The executed notebook of a page in one framework, checked fresh;
    None if the page has no cell for that framework."""
    job = Job(page, tab)
    expected = state.vouched(recorded, job)
    meta = state.recorded(job)
    if expected is None or meta is None:
        raise StaleBuild(f'{job}: no executed notebook from this build '
                         f'(run the eval stage for {tab})')
    if {'source': meta['source'], 'code': meta['code']} != expected:
        raise StaleBuild(f'{job}: {job.out} is stale (its key differs from '
                         f'the one the eval stage recorded)')
    if not state.has_cells(meta):
        return None
    return nbformat.read(ROOT / job.out, as_version=4)


def merged(page, tabs, recorded):
    nbs = [nb for nb in (executed(page, t, recorded) for t in tabs) if nb]
    if not nbs:  # code in none of these frameworks: d2lbook cannot merge
        return text_notebook(page)
    if len(nbs) == 1:
        return nbs[0]
    nb = notebook.merge_tab_notebooks(nbs)
    return notebook.add_html_tab(nb, tabs)


RST_INLINE = re.compile(r'([\\*`|_])')


def escape_literals(body):
    """Escape rst markup in output blocks: `dense1_ (` is no reference."""
    lines, inside = body.split('\n'), False
    for i, line in enumerate(lines):
        if line.startswith('.. parsed-literal::'):
            inside = True
        elif inside and line and not line.startswith(' '):
            inside = False
        elif inside and line.startswith('    ') and \
                not line.lstrip().startswith(':class:'):
            lines[i] = RST_INLINE.sub(r'\\\1', line)
    return '\n'.join(lines)


def to_rst(nb, page):
    """d2lbook's notebook-to-rst conversion, returning the files it makes."""
    nb = remove_slide_marks(nb)
    sig = hashlib.sha1(str(page).encode()).hexdigest()[:6]
    key = f'output_{page.stem}_{sig}'
    body, resources = rst_lib.convert_notebook(nb, {'unique_key': key})
    files = {page.with_suffix('.rst'): escape_literals(body)}
    for name, data in resources['outputs'].items():
        files[page.parent / name] = data
    return files


@dataclass
class Site:
    """One language's HTML: its pages, rst folder and output folder.

    English is the root site; a translation is built as its own site in
    a folder named after its language, with the same page paths.
    """
    lang: str = ''

    @property
    def rst(self):
        return BUILD / (f'rst_{self.lang}' if self.lang else 'rst')

    @property
    def html(self):
        return HTML / self.lang if self.lang else HTML

    def pages(self):
        return [Path(self.lang) / p for p in pages()]

    def local(self, page):
        """A page's path inside its site."""
        return page.relative_to(self.lang) if self.lang else page


def converted(site, page, nb):
    """Convert a merged page to rst unless this very notebook was
    converted before (pandoc is the slow part); return its files."""
    rst = site.rst
    # Cells that d2lbook adds get random ids, so leave ids out
    content = [{k: v for k, v in cell.items() if k != 'id'}
               for cell in nb.cells]
    digest = state.digest(json.dumps(content, sort_keys=True))
    record = rst / site.local(page).with_suffix('.rst.json')
    try:
        old = json.loads(record.read_text())
        if old['digest'] == digest and all((rst / f).exists()
                                           for f in old['files']):
            return [Path(f) for f in old['files']] + [record.relative_to(rst)]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        state.unreadable(record, type(error).__name__)
    working_on(str(page))
    files = to_rst(nb, site.local(page))
    for rel, data in files.items():
        if write_if_changed(rst / rel, data):
            print(f'[html] updated {site.lang or "en"}: {rel}', flush=True)
    write_if_changed(record, json.dumps({'digest': digest, 'files': sorted(
        str(f) for f in files)}))
    return list(files) + [record.relative_to(rst)]


def site_config(site):
    """d2lbook's configuration, pointed at this site's folders."""
    config = Config(tab='all', config_fname=str(ROOT / 'config.ini'))
    config.rst_dir, config.html_dir = str(site.rst), str(site.html)
    if site.lang:
        index = ROOT / site.lang / (config.build['index'] + '.md')
        title = index.read_text(encoding='utf-8').split('\n# ', 1)
        config.project['title'] = title[-1].splitlines()[0].strip()
        config.project['lang'] = site.lang
        config.build['sphinx_configs'] += f"\nlanguage = '{site.lang}'"
    # Relative to the site's conf.py, as Sphinx reads it, so that the
    # conf.py (and the .buildinfo hashed from it) is the same in every clone
    theme = os.path.relpath(ROOT / 'static' / 'theme', site.rst)
    config.build['sphinx_configs'] += SPHINX_OPTIONS.format(theme=theme)
    return config


def build(tabs, site):
    recorded = state.load()
    config = site_config(site)
    rst = site.rst
    # Every page is checked fresh before any file is written
    notebooks = {page: merged(page, tabs, recorded)
                 for page in site.pages()}
    wanted = set()
    # Conversion mostly waits on pandoc processes, so pages go in parallel
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for files in pool.map(converted, [site] * len(notebooks), notebooks,
                              notebooks.values()):
            wanted.update(rst / rel for rel in files)
    # Pages removed from the book leave nothing behind
    for old in rst.rglob('*'):
        if (old.is_file() and old.parent != rst / '_static'
                and old.suffix in ('.rst', '.json', '.svg', '.png')
                and old not in wanted and not old.name == 'conf.py'):
            old.unlink()
    working_on(f'the {site.lang or "en"} site')
    prepare_sphinx_env(config)
    own_static(config, rst)
    for resource in (*config.build['resources'].split(),
                     config.pdf['bibfile']):
        src = ROOT / resource
        if src.is_dir():
            shutil.copytree(src, rst / resource, dirs_exist_ok=True)
        elif src.exists() and write_if_changed(rst / resource,
                                               src.read_bytes()):
            print(f'[html] updated {resource}', flush=True)
    strict = ['-W', '--keep-going'] if book.setting(
        'build', 'warning_is_error', True) else []
    # Sphinx's own cache stays out of the published site
    doctrees = BUILD / 'doctrees' / (site.lang or 'en')
    # Sphinx runs in this process: every site built here shares one
    # import of Sphinx and d2lbook. With a few pages, reading them in
    # parallel costs more in forked processes than it saves
    code = build_main(['-b', 'html', '-q', *strict, '-d', str(doctrees),
                       '-c', str(rst), str(rst), str(site.html)])
    if code != 0:
        raise SystemExit(f'[html] {site.lang or "en"}: sphinx-build failed '
                         f'(exit {code}); see the warnings above')
    # Sphinx copies static files only when some page is out of date: an
    # edit of the page script or style alone would never reach the HTML
    copy_changed(rst / '_static', site.html / '_static')
    stable_search_index(site.html / 'searchindex.js')
    if site.lang:
        share_with_english(site)
    prune(site)
    publish_notebooks(tabs, site, notebooks)


def stable_search_index(path):
    """Sphinx lists a title's pages in the order its parallel readers
    finished; sort them, so that two builds write the same index."""
    prefix, suffix = 'Search.setIndex(', ')'
    text = path.read_text(encoding='utf-8')
    data = json.loads(text[len(prefix):-len(suffix)])
    for field in ('alltitles', 'indexentries'):
        for entries in data.get(field, {}).values():
            entries.sort()
    write_if_changed(path, prefix + json.dumps(data, sort_keys=True)
                     + suffix)


def copy_changed(src, dst):
    """Copy the files of src whose size or time differ from dst's copy.

    Sphinx keeps the source's times when it copies, and write_if_changed
    leaves an unchanged file's time alone, so this compares no contents
    (the folder holds some 19 MB of MathJax).
    """
    for path in sorted(src.rglob('*')):
        target = dst / path.relative_to(src)
        if path.is_file() and not (
                target.is_file()
                and target.stat().st_size == path.stat().st_size
                and target.stat().st_mtime_ns == path.stat().st_mtime_ns):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def own_static(config, rst):
    """Serve only the project's page script.

    d2lbook's d2l.js switches tabs by position and loads an analytics
    script; the book's own script (config.ini's include_js) replaces it.
    """
    scripts = [(ROOT / name).read_text()
               for name in config.html['include_js'].split()]
    write_if_changed(rst / '_static' / 'd2l.js',
                     '\n'.join([page_data()] + scripts))
    # Earlier builds copied all of MathJax here; Sphinx would copy it on
    shutil.rmtree(rst / '_static' / 'mathjax', ignore_errors=True)


# A page's references to files: src="..." and href="..."; a stylesheet's
# url(...)
PAGE_REF = re.compile(r'(?:src|href)="([^"#?:]+)')
CSS_REF = re.compile(r'url\(\s*[\'"]?([^\'")#?:]+)')


def referenced():
    """Every file that some page of any site loads or links, with the
    files their stylesheets load, as resolved paths."""
    found = set()
    for page in HTML.rglob('*.html'):
        for ref in PAGE_REF.findall(page.read_text(encoding='utf-8')):
            found.add((page.parent / ref).resolve())
    for css in [p for p in found if p.suffix == '.css' and p.is_file()]:
        for ref in CSS_REF.findall(css.read_text(encoding='utf-8')):
            found.add((css.parent / ref).resolve())
    return found


def prune(site):
    """Keep only the static files that pages load or link.

    Sphinx copies everything its theme and extensions bring (jQuery,
    underscore.js and their copies, images no stylesheet uses); a site
    carries only what a reader's browser can ask for.
    """
    wanted = referenced()
    for path in sorted(site.html.joinpath('_static').rglob('*'),
                       reverse=True):
        if path.is_file() and path.resolve() not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def share_with_english(site):
    """Point a translation's pages at the English site's copy of every
    static file that is the same in both, and drop its own copy.

    The stylesheets and scripts are the same in every language; what
    differs (documentation_options.js, Sphinx's translations, the search
    index, which lives outside _static) stays with its site.
    """
    own, shared = site.html / '_static', HTML / '_static'
    same = sorted(
        path.relative_to(own).as_posix() for path in own.rglob('*')
        if path.is_file() and (shared / path.relative_to(own)).is_file()
        and (shared / path.relative_to(own)).read_bytes()
        == path.read_bytes())
    for page in site.html.rglob('*.html'):
        up = '../' * (len(page.relative_to(site.html).parts) - 1)
        text = page.read_text(encoding='utf-8')
        for name in same:
            # A rewritten reference starts with one more ../ and so
            # never matches again
            text = text.replace(f'="{up}_static/{name}"',
                                f'="../{up}_static/{name}"')
        write_if_changed(page, text)
    for name in same:
        (own / name).unlink()


def page_data():
    """What the page script needs to know of the book, from config.ini
    and static/words.json: the frameworks, their names, the languages and
    the words it shows in each."""
    words = json.loads((ROOT / 'static' / 'words.json').read_text(
        encoding='utf-8'))
    data = {'frameworks': book.tabs(), 'labels': book.labels(),
            'languages': ['en'] + book.languages(), 'words': words}
    return 'window.BOOK = ' + json.dumps(data, ensure_ascii=False,
                                         sort_keys=True) + ';'




def main():
    args = arguments(__doc__.splitlines()[0])
    # One process builds every site named, 'en' being the English one
    for lang in args.langs or ['en']:
        tik = time.time()
        working_on(f'the {lang} site')
        try:
            build(args.tabs, Site('' if lang == 'en' else lang))
        except StaleBuild as error:
            raise SystemExit(f'[html] refusing to build: {error}')
        print(f'[html] {lang}: Sphinx and downloads done in '
              f'{time.time() - tik:.1f} s', flush=True)


if __name__ == '__main__':
    run_step('html', main)
