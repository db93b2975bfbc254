"""Each framework's notebooks as a reader downloads them.

Called by builder.tools.html for each site, after Sphinx. For every
framework it writes, under the site's ``notebooks/``:

- ``<framework>/<page>.ipynb``: the executed notebook, opened by one
  Markdown line in the site's language that says how to install what it
  needs if ``d2l`` is missing (static/downloads/words.json);
- ``builders-guide-<framework>.zip``: a folder that runs on its own: the
  same notebooks, the d2l wheel, the framework's ``requirements.txt`` and
  a ``README.md`` in the site's language (static/downloads/README.<lang>.md)
  that says how to start Jupyter and how to get the CPU or GPU build.

And ``notebooks/<the wheel>`` itself, which the page script links. The
wheel and the requirements come from _build/downloads (builder.downloads,
run by the driver before this step). Every file is written only when it
changed, and the zips' entries carry a fixed date, so that two builds of
the same sources write the same bytes.
"""
import io
import json
import sys
import zipfile
from string import Template

import nbformat

from builder import book, downloads, state
from builder.book import ROOT, Job
from builder.state import write_if_changed

TEXTS = ROOT / 'static' / 'downloads'
# The id of the cell that opens each published notebook
NOTE_ID = 'install-d2l'
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


class MissingDownload(SystemExit):
    """What a zip needs is missing or disagrees; stops the step with the
    message."""

    def __init__(self, message):
        super().__init__(f'[html] {message}')


def words(lang):
    return json.loads((TEXTS / 'words.json').read_text(
        encoding='utf-8'))[lang or 'en']


def framework_pin(tab):
    """The pinned line of the framework itself, e.g. 'torch==2.13.0':
    the requirement named like the framework's d2l module (tensorflow-cpu
    for d2l/tensorflow.py)."""
    stem = book.lib_file(tab).stem
    for line in requirements(tab).splitlines():
        name = downloads.canonical(line.split('==')[0])
        if '==' in line and (name == stem or name.startswith(stem + '-')):
            return line
    raise MissingDownload(f'[{tab}] no pin of {stem} in '
                          f'{downloads.requirements_path(tab)}')


def values(tab, lang):
    """What the texts' $placeholders stand for."""
    pin = framework_pin(tab)
    return {'label': book.labels()[tab], 'zip': f'builders-guide-{tab}.zip',
            'wheel': downloads.wheel_name(), 'pin': pin,
            'version': pin.split('==')[1],
            'python': f'{sys.version_info.major}.{sys.version_info.minor}'}


def note(tab, lang):
    """The line that opens each published notebook."""
    return Template(words(lang)['notebook']).substitute(values(tab, lang))


def readme(tab, lang):
    template = (TEXTS / f'README.{lang or "en"}.md').read_text(
        encoding='utf-8')
    accelerator = Template(words(lang)[tab]).substitute(values(tab, lang))
    return Template(template).substitute(values(tab, lang),
                                         accelerator=accelerator)


def requirements(tab):
    path = downloads.requirements_path(tab)
    if not path.exists():
        raise MissingDownload(f'[{tab}] {path.relative_to(ROOT)} is missing '
                              '(the driver makes it before the HTML)')
    return path.read_text(encoding='utf-8')


def wheel():
    path = downloads.wheel_path()
    if not path.exists():
        raise MissingDownload(f'{path.relative_to(ROOT)} is missing (the '
                              'driver builds it before the HTML)')
    return path.read_bytes()


def with_note(data, line):
    """A notebook's bytes with the install line as its first cell."""
    nb = nbformat.reads(data.decode('utf-8'), as_version=4)
    cell = nbformat.v4.new_markdown_cell(line)
    cell['id'] = NOTE_ID
    nb.cells.insert(0, cell)
    return nbformat.writes(nb).encode('utf-8')


def zipped(folder, entries):
    """A zip of (path, bytes) under one folder, the same bytes each time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as zf:
        for path, data in entries:
            info = zipfile.ZipInfo(f'{folder}/{path}', date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def publish_notebooks(tabs, site, notebooks):
    """Each framework's executed notebooks, one by one and as a zip."""
    name = 'builders-guide' + (f'-{site.lang}' if site.lang else '')
    release = book.setting('project', 'release', '')
    if release != downloads.version():
        # The page script names the wheel by the site's release
        raise MissingDownload(f"config.ini's release {release!r} is not "
                              f"d2l/__init__.py's version "
                              f'{downloads.version()!r}')
    folder = site.html / 'notebooks'
    package = wheel()
    write_if_changed(folder / downloads.wheel_name(), package)
    for tab in tabs:
        line = note(tab, site.lang)
        entries = []
        for page in notebooks:
            if not state.has_cells(state.recorded(Job(page, tab))):
                continue
            data = with_note((ROOT / Job(page, tab).out).read_bytes(), line)
            local = site.local(page).with_suffix('.ipynb')
            write_if_changed(folder / tab / local, data)
            entries.append((str(local), data))
        entries += [('README.md', readme(tab, site.lang).encode('utf-8')),
                    ('requirements.txt', requirements(tab).encode('utf-8')),
                    (downloads.wheel_name(), package)]
        # Every site names its archives alike, so pages link them alike
        write_if_changed(folder / f'builders-guide-{tab}.zip',
                         zipped(f'{name}-{tab}', entries))
