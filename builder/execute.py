"""Execute one framework's notebooks, in that framework's environment.

Run as ``<env python> -m builder.execute TAB``; it reads requests from
stdin, one JSON line each (``{"page": ..., "more": true}``), after
builder.prepare has written the framework's cells to _build/select.
nbclient runs each notebook in a fresh kernel of this Python (the
environment's registered kernel). For every request it prints one JSON
line: the outcome, the seconds and, on failure, the page's line, the
cell, its first line and the exception.

One process serves many notebooks, so Python and nbclient start once;
and when more notebooks are coming, the next one's fresh kernel starts
booting as this one begins to run, so that the next notebook finds it
ready instead of waiting the second or so that a kernel takes to start.
"""
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

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
    """Fresh kernels of this environment, the next one started early."""

    def __init__(self, tab):
        self.name = f'builders-guide-{tab}'
        self.warm = None  # (folder, kernel manager)

    def take(self, folder):
        if self.warm and self.warm[0] == folder:
            km, self.warm = self.warm[1], None
            return km
        self.discard()
        return None  # nbclient starts one itself

    def prepare(self, folder):
        km = KernelManager(kernel_name=self.name)
        km.start_kernel(cwd=str(folder))
        self.warm = (folder, km)

    def discard(self):
        if self.warm:
            self.warm[1].shutdown_kernel(now=True)
            self.warm = None


def run(job, km, kernel_name):
    """Execute a notebook in km, a fresh kernel started for it (or in
    one that nbclient starts, when km is None)."""
    out = ROOT / job.out
    nb = nbformat.read(ROOT / job.selected, as_version=4)
    client = NotebookClient(
        nb, km=km, timeout=KERNEL_TIMEOUT,
        kernel_name=kernel_name, record_timing=False,
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


def serve(tab):
    os.environ.update(KERNEL_ENV)
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT)] + os.environ.get('PYTHONPATH', '').split(os.pathsep))
    kernels = Kernels(tab)
    try:
        for line in sys.stdin:
            request = json.loads(line)
            job = Job(Path(request['page']), tab)
            folder = (ROOT / job.out).parent
            folder.mkdir(parents=True, exist_ok=True)
            tik = time.time()
            km = kernels.take(folder)
            if request.get('more'):
                # Nothing runs in it before the next notebook does
                kernels.prepare(folder)
            try:
                result = run(job, km, kernels.name)
            except Exception as error:  # a broken kernel or environment
                (ROOT / job.out).unlink(missing_ok=True)
                result = {'status': 'failed',
                          'cause': f'{type(error).__name__}: {error}'}
            result['seconds'] = round(time.time() - tik, 1)
            print(json.dumps(result), flush=True)
    finally:
        kernels.discard()


if __name__ == '__main__':
    serve(sys.argv[1])
