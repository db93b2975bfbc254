"""Author mode: the pages' Markdown opened, run and saved as notebooks.

``make edit TAB=jax`` runs ``<jax python> -m builder.tools.author --tab
jax``: JupyterLab from that framework's environment (not the tools', as
the other steps here), on the clone, listening on 127.0.0.1 and asking
for its token. Its contents manager opens every ``.md`` as a notebook:
d2lbook's own reader (the one the build uses) makes the cells, and saving
writes them back as the same Markdown, without outputs. Opening and
saving an unedited page gives back its bytes: the blank lines between
cells that differ from the usual one, and a fence other than
```` ```{.python .input} ````, are kept in the cell's metadata
(``markdown``). The notebook runs in a kernel of the framework's
environment with the build's kernel environment and this clone on
PYTHONPATH; builder.tools.author_tab makes the page's selection cell
choose that framework.
"""
import argparse
import json
import os
import re
import sys

from d2lbook import notebook
from jupyter_server.services.contents.filecheckpoints import FileCheckpoints
from jupyter_server.services.contents.largefilemanager import \
    LargeFileManager
from tornado import web
from traitlets import Unicode, default

from builder import book, envs

AUTHOR = book.BUILD / 'author'
INPUT = '```{.python .input}'
META = 'markdown'
PAGES = 'chapter_builders-guide'
CODE_FENCE = r'^(?P<fence>`{3,}|~{3,})(?P<attrs>.*)\n'


class UnreadablePage(ValueError):
    """d2lbook's cells of a page do not give back the page's text."""


def _default_after(text, last):
    if text.endswith('\n'):
        return ''
    return '\n' if last else '\n\n'


def _cell_text(cell):
    source = cell.source if isinstance(cell.source, str) else \
        ''.join(cell.source)
    if cell.cell_type != 'code':
        return source
    fence = cell.metadata.get(META, {}).get('fence', INPUT)
    closing = re.match(r'`{3,}|~{3,}', fence).group(0)
    return f'{fence}\n{source}\n{closing}'


def _span(md, cell, pos):
    """Where a cell's text starts and ends in the Markdown, from pos."""
    if cell.cell_type == 'code':
        found = re.compile(CODE_FENCE + re.escape(cell.source)
                           + r'\n(?P=fence)$', re.M).search(md, pos)
    else:
        found = re.compile(re.escape(cell.source)).search(md, pos)
    if found is None:
        return None
    return found.start(), found.end()


def read_page(md, tab=None, path='the page'):
    """A page's Markdown as a notebook, in d2lbook's cells.

    With tab, the notebook asks for author mode's kernel of that
    framework. Raises UnreadablePage rather than give cells that would
    save as other bytes.
    """
    nb = notebook.read_markdown(md)
    pos, previous = 0, None
    for cell in nb.cells:
        span = _span(md, cell, pos)
        if span is None:
            raise UnreadablePage(f'{path}: d2lbook reads a cell that is not '
                                 f'in the text: {cell.source[:60]!r}')
        start, end = span
        kept = {}
        if cell.cell_type == 'code':
            fence = md[start:md.index('\n', start)]
            if fence != INPUT:
                kept['fence'] = fence
            cell.metadata.pop('attributes', None)
        gap = md[pos:start]
        if previous is None:
            if gap:
                kept['before'] = gap
        elif gap != _default_after(_cell_text(previous), False):
            previous.metadata.setdefault(META, {})['after'] = gap
        if kept:
            cell.metadata[META] = kept
        pos, previous = end, cell
    if previous is not None and md[pos:] != _default_after(
            _cell_text(previous), True):
        previous.metadata.setdefault(META, {})['after'] = md[pos:]
    if tab:
        nb.metadata['kernelspec'] = {'name': kernel_name(tab),
                                     'display_name': display_name(tab),
                                     'language': 'python'}
        nb.metadata['language_info'] = {'name': 'python'}
    if write_page(nb) != md:
        raise UnreadablePage(f'{path}: its cells would not save as the same '
                             'text')
    return nb


def write_page(nb):
    """A notebook as the page's Markdown: cells only, never outputs."""
    parts = []
    for index, cell in enumerate(nb.cells):
        kept = cell.metadata.get(META, {})
        text = _cell_text(cell)
        if index == 0:
            parts.append(kept.get('before', ''))
        last = index == len(nb.cells) - 1
        parts += [text, kept.get('after', _default_after(text, last))]
    return ''.join(parts)


def kernel_name(tab):
    return f'{envs.kernel_name(tab)}-author'


def display_name(tab):
    return f"Builders' Guide ({tab}, author mode)"


def kernel_spec(tab, python=sys.executable):
    """Write author mode's kernelspec of a framework; its folder and name.

    The kernel gets what the build's kernels get (builder.book.KERNEL_ENV
    and this clone first on PYTHONPATH), plus the framework the page's
    selection cell chooses (builder.tools.author_tab).
    """
    folder = AUTHOR / 'kernels'
    env = dict(book.KERNEL_ENV, BUILDERS_GUIDE_TAB=tab)
    env['PYTHONPATH'] = envs.with_book_path()['PYTHONPATH']
    spec = {'argv': [str(python), '-Xfrozen_modules=off', '-m',
                     'ipykernel_launcher', '-f', '{connection_file}',
                     '--ext=builder.tools.author_tab'],
            'display_name': display_name(tab), 'language': 'python',
            'env': env, 'metadata': {'debugger': True}}
    path = folder / kernel_name(tab) / 'kernel.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1) + '\n')
    return folder, kernel_name(tab)


class BuildCheckpoints(FileCheckpoints):
    """Jupyter's checkpoints in _build/author, not next to the pages
    (where git would see a .ipynb_checkpoints folder)."""

    def checkpoint_path(self, checkpoint_id, path):
        parent, _, name = path.strip('/').rpartition('/')
        stem, ext = os.path.splitext(name)
        folder = AUTHOR / 'checkpoints' / parent
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / f'{stem}-{checkpoint_id}{ext}')


class MarkdownContentsManager(LargeFileManager):
    """jupyter_server's files, with every .md also readable as a notebook.

    A ``.md`` asked for as a file is its text, as usual (the editor opens
    it so); asked for as a notebook, it is read_page's cells, and saving
    that notebook writes write_page's text.
    """

    framework = Unicode('', config=True,
                        help='the framework whose kernel the pages ask for')

    @default('checkpoints_class')
    def _checkpoints_class_default(self):
        return BuildCheckpoints

    def _read_notebook(self, os_path, as_version=4,
                       capture_validation_error=None, raw=False):
        if not os_path.endswith('.md'):
            return super()._read_notebook(
                os_path, as_version, capture_validation_error, raw)
        answer = self._read_file(os_path, 'text', raw=raw)
        try:
            nb = read_page(answer[0], self.framework or None, os_path)
        except UnreadablePage as error:
            raise web.HTTPError(400, str(error)) from error
        return (nb, answer[2]) if raw else nb

    def _save_notebook(self, os_path, nb, capture_validation_error=None):
        if not os_path.endswith('.md'):
            return super()._save_notebook(os_path, nb,
                                          capture_validation_error)
        with self.atomic_writing(os_path, encoding='utf-8') as f:
            f.write(write_page(nb))

    def save(self, model, path=''):
        saved = super().save(model, path)
        if model.get('type') == 'notebook':
            saved['type'] = 'notebook'
        return saved


def run_page(page, tab, python):
    """A page as the editor opens it, run headless in author mode's
    kernel of a framework (its python) with d2lbook's alias replacement
    as in the build; the executed notebook. Errors are kept as outputs.
    """
    import tempfile

    from d2lbook import library
    from d2lbook.config import Config
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = read_page((book.ROOT / page).read_text(encoding='utf-8'), tab,
                   str(page))
    config = Config(config_fname=str(book.ROOT / 'config.ini'))
    if tab in config.library:
        nb = library.replace_alias(nb, config.library[tab])
    folder, name = kernel_spec(tab, python)
    with tempfile.TemporaryDirectory(prefix='builders-guide-') as sockets:
        # Unix sockets, as the build's kernels use (builder.tools.kernels)
        km = KernelManager(
            kernel_name=name, transport='ipc', ip=f'{sockets}/k',
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(folder)]))
        # Jupyter starts a page's kernel in the page's folder
        km.start_kernel(cwd=str((book.ROOT / page).parent))
        try:
            NotebookClient(nb, km=km, timeout=20 * 60, allow_errors=True,
                           record_timing=False).execute()
        finally:
            km.shutdown_kernel(now=True)
    return nb


def lab_settings():
    """JupyterLab's settings for author mode: .md opens as a notebook."""
    folder = AUTHOR / 'lab-settings'
    folder.mkdir(parents=True, exist_ok=True)
    overrides = {'@jupyterlab/docmanager-extension:plugin': {
        'defaultViewers': {'markdown': 'Notebook'}}}
    (folder / 'overrides.json').write_text(json.dumps(overrides, indent=1))
    return folder


def lab_arguments(tab, port):
    kernels, name = kernel_spec(tab)
    # Jupyter finds kernelspecs in JUPYTER_PATH's kernels folders
    os.environ['JUPYTER_PATH'] = os.pathsep.join(
        [str(kernels.parent)] + [p for p in os.environ.get(
            'JUPYTER_PATH', '').split(os.pathsep) if p])
    # Containers often run as root, which Jupyter refuses unless told
    root = ['--ServerApp.allow_root=True'] if os.geteuid() == 0 else []
    settings = lab_settings()
    return root + [
        '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
        f'--ServerApp.root_dir={book.ROOT}',
        '--ServerApp.contents_manager_class='
        'builder.tools.author.MarkdownContentsManager',
        f'--MarkdownContentsManager.framework={tab}',
        f'--KernelSpecManager.allowed_kernelspecs={name}',
        f'--MappingKernelManager.default_kernel_name={name}',
        # JupyterLab and Notebook (the /tree view) read the same settings
        f'--LabApp.app_settings_dir={settings}',
        f'--JupyterNotebookApp.app_settings_dir={settings}',
        f'--LabApp.workspaces_dir={AUTHOR / "workspaces"}',
        f'--LabApp.default_url=/tree/{PAGES}',
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tab', required=True, choices=book.tabs())
    parser.add_argument('--port', type=int, default=8888)
    args, rest = parser.parse_known_args(argv)
    from jupyterlab.labapp import LabApp
    LabApp.launch_instance(argv=lab_arguments(args.tab, args.port) + rest)


if __name__ == '__main__':
    main()
