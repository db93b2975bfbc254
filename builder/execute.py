"""Execute notebooks, each in a fresh kernel of its framework's environment.

Run as ``<tools python> -m builder.execute``, one process per worker; it
reads requests from stdin, one JSON line each (``{"page": ..., "tab":
..., "next": {"page": ..., "tab": ...}}``), after builder.prepare has
written the framework's cells to _build/select. nbclient runs each
notebook in a fresh kernel of that framework's environment (the kernel
that environment registered). For every request it prints one JSON line:
the outcome, the seconds and, on failure, the page's line, the cell, its
first line and the exception.

One process serves every framework, so Python and nbclient start once a
worker, not once a framework. And ``next`` names the job that the worker
is likely to take next: its fresh kernel starts booting as the current
notebook begins to run, so that it is ready when its notebook comes
instead of making it wait the second or so that a kernel takes to start.
"""
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from builder import envs
from builder.pages import KERNEL_ENV, ROOT, Job

KERNEL_TIMEOUT = 20 * 60

def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == 'code']


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

    def __init__(self):
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
        specs = KernelSpecManager(kernel_dirs=[str(envs.kernels_dir(tab))])
        km = KernelManager(kernel_name=envs.kernel_name(tab),
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

    def prepare(self, tab, folder):
        if tab not in self.warm:
            self.warm[tab] = (folder, self.start(tab, folder))

    def discard(self):
        for _, km in self.warm.values():
            km.shutdown_kernel(now=True)
        self.warm = {}
        shutil.rmtree(self.sockets, ignore_errors=True)


def run(job, km):
    """Execute a notebook in km, a fresh kernel started for it."""
    out = ROOT / job.out
    nb = nbformat.read(ROOT / job.selected, as_version=4)
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
    nb.metadata['language_info'] = {'name': 'python'}
    text = nbformat.writes(nb)
    nbformat.validate(nbformat.reads(text, as_version=4))
    out.write_text(text, encoding='utf-8')
    return {'status': 'executed'}


def folder_of(request):
    folder = (ROOT / Job(Path(request['page']), request['tab']).out).parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def serve():
    os.environ.update(KERNEL_ENV)
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT)] + os.environ.get('PYTHONPATH', '').split(os.pathsep))
    kernels = Kernels()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            job = Job(Path(request['page']), request['tab'])
            tik = time.time()
            try:
                km = kernels.take(job.tab, folder_of(request))
                upcoming = request.get('next')
                if upcoming:
                    # It boots while this notebook runs
                    kernels.prepare(upcoming['tab'], folder_of(upcoming))
                result = run(job, km)
            except Exception as error:  # a broken kernel or environment
                (ROOT / job.out).unlink(missing_ok=True)
                result = {'status': 'failed',
                          'cause': f'{type(error).__name__}: {error}'}
            result['seconds'] = round(time.time() - tik, 1)
            print(json.dumps(result), flush=True)
    finally:
        kernels.discard()


if __name__ == '__main__':
    serve()
