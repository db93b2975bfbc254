"""The executor: each notebook in a fresh kernel of its framework's env.

``<tools python> -m builder.tools.kernels``, one process per worker of the
driver, serving builder.worker's protocol on stdin and stdout, after
builder.tools.prepare has written the framework's cells to _build/select.
nbclient runs each notebook in a fresh kernel of that framework's
environment (the kernel that environment registered).

One process serves every framework, so Python and nbclient start once a
worker, not once a framework. And the request's ``next`` names the job
that the worker is likely to take next: its fresh kernel starts booting
as the current notebook begins to run, so that it is ready when its
notebook comes instead of making it wait the second or so that a kernel
takes to start.
"""
import itertools
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from builder import book, envs, worker
from builder.tools import notebooks
from builder.tools.notebooks import code_cells

KERNEL_TIMEOUT = 20 * 60


def failure(nb):
    """Where the first error output is, and what it says."""
    for index, cell in enumerate(code_cells(nb)):
        for out in cell.get('outputs', []):
            if out.output_type == 'error':
                first = cell.source.splitlines()[0] if cell.source else ''
                return {'cell': index + 1, 'line': cell.metadata['md_line'],
                        'first_line': first,
                        'cause': f'{out.ename}: {out.evalue}'}
    return {}


def clean_outputs(nb):
    """Show stderr as plain output, as d2lbook does, and drop widgets."""
    for cell in code_cells(nb):
        kept = []
        for out in cell.outputs:
            if out.get('name') == 'stderr':
                out['name'] = 'stdout'
            text = out.get('data', {}).get('text/plain', '')
            if not text.startswith(('HBox', 'VBox')):
                kept.append(out)
        cell.outputs = kept


class Kernels:
    """Fresh kernels of every framework, started before they are needed.

    At most one idle kernel per framework waits, in the folder of the
    notebook it was started for; nothing runs in it before that notebook.
    """

    def __init__(self, spec=None):
        # tab -> (kernelspec folder, kernel name); tests pass their own
        self.spec = spec or (lambda tab: (envs.kernels_dir(tab),
                                          envs.kernel_name(tab)))
        self.warm = {}  # tab -> (folder, kernel manager)
        # Kernels talk over Unix sockets in a folder of this executor's.
        # With TCP, each process picks free ports on its own, and two
        # executors starting kernels at once could pick the same one: the
        # later kernel then dies before it answers ("Kernel died before
        # replying to kernel_info").
        self.sockets = Path(tempfile.mkdtemp(prefix='builders-guide-'))
        self.count = itertools.count()

    def start(self, tab, folder):
        """A new kernel of the framework's environment, booting."""
        folder_of_specs, name = self.spec(tab)
        specs = KernelSpecManager(kernel_dirs=[str(folder_of_specs)])
        km = KernelManager(kernel_name=name,
                           kernel_spec_manager=specs, transport='ipc',
                           ip=str(self.sockets / f'k{next(self.count)}'))
        km.start_kernel(cwd=str(folder))
        return km

    def take(self, tab, folder):
        """The waiting kernel for this notebook, or a new one."""
        waiting = self.warm.pop(tab, None)
        if waiting and waiting[0] == folder:
            return waiting[1]
        if waiting:
            waiting[1].shutdown_kernel(now=True)
        return self.start(tab, folder)

    def prestart(self, tab, folder):
        """Start booting a kernel that take() will likely ask for."""
        if tab not in self.warm:
            self.warm[tab] = (folder, self.start(tab, folder))

    def discard(self):
        for _, km in self.warm.values():
            km.shutdown_kernel(now=True)
        self.warm = {}
        shutil.rmtree(self.sockets, ignore_errors=True)


def run(job, km):
    """Execute a notebook in km, a fresh kernel started for it."""
    out = book.ROOT / job.out
    nb = nbformat.read(book.ROOT / job.selected, as_version=4)
    client = NotebookClient(
        nb, km=km, timeout=KERNEL_TIMEOUT,
        kernel_name=km.kernel_name, record_timing=False,
        shutdown_kernel='immediate',
        resources={'metadata': {'path': str(out.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        # Never leave an older run's outputs where a failed one belongs
        out.unlink(missing_ok=True)
        where = failure(nb) or {'cause': str(error).strip().splitlines()[-1]}
        return {'status': 'failed', **where}
    clean_outputs(nb)
    nbformat.validate(nb)
    notebooks.write(out, nb)
    return {'status': 'executed'}


def folder_of(job):
    folder = (book.ROOT / job.out).parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main():
    os.environ.update(book.KERNEL_ENV)
    os.environ.update(envs.with_book_path())
    kernels = Kernels()

    def execute(job, upcoming):
        try:
            km = kernels.take(job.tab, folder_of(job))
            if upcoming:
                # It boots while this notebook runs
                kernels.prestart(upcoming.tab, folder_of(upcoming))
            return run(job, km)
        except Exception:
            (book.ROOT / job.out).unlink(missing_ok=True)
            raise

    try:
        worker.serve(execute)
    finally:
        kernels.discard()


if __name__ == '__main__':
    main()
