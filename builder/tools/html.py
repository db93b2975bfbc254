"""Merge the frameworks' executed notebooks into tabbed pages; run Sphinx.

``<tools python> -m builder.tools.html --tabs A,B [--langs ko]`` builds
one site: English, or the one translation named. It reads only the
executed notebooks that the runs recorded in _build/state.json and
refuses any notebook whose key differs, so no page is ever built from a
stale or missing framework. A file is rewritten only when its content
changed, so Sphinx re-reads only pages that changed. It also publishes
each framework's notebooks, one by one and as a zip.
"""
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from d2lbook import notebook
from d2lbook import rst as rst_lib
from d2lbook.config import Config
from d2lbook.slides import remove_slide_marks
from d2lbook.sphinx import prepare_sphinx_env

from builder import book, state
from builder.book import BUILD, ROOT, Job, pages
from builder.state import write_if_changed
from builder.tools import arguments
from builder.tools.notebooks import text_notebook

HTML = BUILD / 'html'
# The folder that the sphinx-mathjax-offline package installs
MATHJAX = Path('sphinx-mathjax-offline') / 'static' / 'mathjax'


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
    if record.exists():
        old = json.loads(record.read_text())
        if old['digest'] == digest and all((rst / f).exists()
                                           for f in old['files']):
            return [Path(f) for f in old['files']] + [record.relative_to(rst)]
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
    cmd = ['sphinx-build', '-b', 'html', '-q', *strict, '-j', '2',
           '-d', str(doctrees), '-c', str(rst), str(rst), str(site.html)]
    proc = subprocess.run([str(Path(sys.executable).parent / cmd[0])]
                          + cmd[1:])
    if proc.returncode != 0:
        raise SystemExit(f'[html] sphinx-build failed (exit {proc.returncode})'
                         '; see the warnings above')
    # Sphinx copies static files only when some page is out of date: an
    # edit of the page script or style alone would never reach the HTML
    copy_changed(rst / '_static', site.html / '_static')
    # Sphinx copies the theme's own fonts.css over any of ours
    write_if_changed(site.html / '_static' / 'fonts.css', local_fonts())
    stable_search_index(site.html / 'searchindex.js')
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
    """Serve only the project's page script and a local MathJax.

    d2lbook's d2l.js switches tabs by position and loads an analytics
    script; the book's own script (config.ini's include_js) replaces it.
    MathJax comes from a PyPI package, so pages render math offline.
    """
    scripts = [(ROOT / name).read_text()
               for name in config.html['include_js'].split()]
    write_if_changed(rst / '_static' / 'd2l.js',
                     '\n'.join([page_data()] + scripts))
    source = Path(sysconfig.get_paths()['purelib']) / MATHJAX
    for path in sorted(source.rglob('*.js')):
        write_if_changed(rst / '_static' / 'mathjax' /
                         path.relative_to(source), path.read_bytes())


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


def local_fonts():
    """The theme's fonts.css without the fonts it loads from Google.

    Those are CJK fonts, fetched as soon as a page shows Chinese, Japanese
    or Korean text (the language switch does, on every page); without
    them such text uses the reader's own fonts, and no page goes online.
    """
    import mxtheme
    css = (Path(mxtheme.__file__).parent / 'static' / 'fonts.css').read_text()
    rules = re.findall(r'@font-face\s*\{[^}]*\}', css)
    return '\n'.join(rule for rule in rules if '//' not in rule) + '\n'


def publish_notebooks(tabs, site, notebooks):
    """Each framework's executed notebooks, one by one and as a zip."""
    name = 'builders-guide' + (f'-{site.lang}' if site.lang else '')
    for tab in tabs:
        folder = site.html / 'notebooks' / tab
        entries = []
        for page in notebooks:
            src = ROOT / Job(page, tab).out
            if not state.has_cells(state.recorded(Job(page, tab))):
                continue
            data = src.read_bytes()
            local = site.local(page).with_suffix('.ipynb')
            write_if_changed(folder / local, data)
            entries.append((str(local), data))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as zf:
            for path, data in entries:
                # A fixed date keeps the archive identical across builds
                info = zipfile.ZipInfo(f'{name}-{tab}/{path}',
                                       date_time=(2026, 1, 1, 0, 0, 0))
                zf.writestr(info, data, zipfile.ZIP_DEFLATED)
        # Every site names its archives alike, so pages link them alike
        write_if_changed(site.html / 'notebooks' / f'builders-guide-{tab}.zip',
                         buffer.getvalue())


def main():
    args = arguments(__doc__.splitlines()[0])
    lang = args.langs[0] if args.langs else ''
    try:
        build(args.tabs, Site(lang))
    except StaleBuild as error:
        raise SystemExit(f'[html] refusing to build: {error}')


if __name__ == '__main__':
    main()
