"""The executor: each notebook in a fresh kernel of its framework's env.

``<tools python> -m builder.tools.kernels``, one process per worker of the
driver, serving builder.worker's protocol on stdin and stdout, after
builder.tools.prepare has written the framework's cells to _build/select.
nbclient runs each notebook in a fresh kernel of that framework's
environment (the kernel that environment registered), and the kernel is
shut down as soon as its notebook is done.

One process serves every framework, so Python and nbclient start once a
worker, not once a framework. And the request's ``next`` names the job
that the worker is likely to take next: its fresh kernel boots while the
current notebook runs, so that it is ready when its notebook comes. At
any moment an executor holds at most the running kernel and that one.

Nothing outlives the build: the executor ends its kernels and exits when
its driver is gone or sends SIGTERM, and each kernel (ipykernel's parent
poller) exits when its executor is gone.
"""
import asyncio
import itertools
import os
import shutil
import signal
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import (CellExecutionError, CellTimeoutError,
                                 DeadKernelError)

from builder import book, envs, worker
from builder.tools import notebooks, run_step
from builder.tools.notebooks import code_cells


def failure(nb):
    """Where the first error output is, and what it says."""
    for index, cell in enumerate(code_cells(nb)):
        for out in cell.get('outputs', []):
            if out.output_type == 'error':
                return {**where(cell, index),
                        'cause': f'{out.ename}: {out.evalue}'}
    return {}


def where(cell, index):
    """The cell's number among the code cells and its line in the page."""
    first = cell.source.splitlines()[0] if cell.source else ''
    return {'cell': index + 1, 'line': cell.metadata.get('md_line'),
            'first_line': first}


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


def kill(km):
    """End a kernel and anything it started, at once (its own session)."""
    process = getattr(km.provisioner, 'process', None) if \
        km.provisioner else None
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def exit_code(km):
    process = getattr(km.provisioner, 'process', None) if \
        km.provisioner else None
    return process.poll() if process is not None else None


class Kernels:
    """Fresh kernels of every framework, started before they are needed.

    At most one idle kernel waits, in the folder of the notebook it was
    started for; nothing runs in it before that notebook.
    """

    def __init__(self, spec=None):
        # tab -> (kernelspec folder, kernel name); tests pass their own
        self.spec = spec or (lambda tab: (envs.kernels_dir(tab),
                                          envs.kernel_name(tab)))
        self.warm = {}  # tab -> (folder, task starting a kernel manager)
        self.alive = set()  # every kernel manager not yet shut down
        # Kernels talk over Unix sockets in a folder of this executor's.
        # With TCP, each process picks free ports on its own, and two
        # executors starting kernels at once could pick the same one: the
        # later kernel then dies before it answers ("Kernel died before
        # replying to kernel_info").
        self.sockets = Path(tempfile.mkdtemp(prefix='builders-guide-'))
        self.count = itertools.count()

    async def start(self, tab, folder):
        """A new kernel of the framework's environment, started."""
        folder_of_specs, name = self.spec(tab)
        specs = KernelSpecManager(kernel_dirs=[str(folder_of_specs)])
        km = AsyncKernelManager(kernel_name=name, kernel_spec_manager=specs,
                                transport='ipc',
                                ip=str(self.sockets / f'k{next(self.count)}'))
        self.alive.add(km)
        await km.start_kernel(cwd=str(folder))
        return km

    async def take(self, tab, folder):
        """The waiting kernel for this notebook, or a new one."""
        waiting = self.warm.pop(tab, None)
        if waiting and waiting[0] == folder:
            return await waiting[1]
        if waiting:
            await self.shutdown(await waiting[1])
        return await self.start(tab, folder)

    def prestart(self, tab, folder):
        """Start booting a kernel that take() will likely ask for; at most
        one waits, so another framework's waiting kernel is let go."""
        if tab in self.warm:
            return
        for other in list(self.warm):
            _, task = self.warm.pop(other)
            task.add_done_callback(
                lambda t: asyncio.ensure_future(self.shutdown(t.result()))
                if not t.exception() else None)
        self.warm[tab] = (folder, asyncio.ensure_future(
            self.start(tab, folder)))

    async def shutdown(self, km):
        self.alive.discard(km)
        try:
            await km.shutdown_kernel(now=True)
        except Exception:  # a dead kernel cannot be asked to stop
            kill(km)

    def kill_all(self):
        """End every kernel at once: the build is stopping."""
        for km in list(self.alive):
            kill(km)
        self.alive.clear()
        shutil.rmtree(self.sockets, ignore_errors=True)

    async def discard(self):
        for _, task in self.warm.values():
            try:
                await self.shutdown(await task)
            except Exception:
                pass
        self.warm = {}
        self.kill_all()


def cell_timeout(job):
    """Seconds a cell of this page may run: config.ini's cell_timeout,
    raised for a page in its [page ...] section."""
    return book.page_setting(job.page, 'cell_timeout', 300)


async def execute(nb, km, timeout, folder):
    """Run a notebook's cells in km, a fresh kernel started for it in
    folder. The answer is {'status': 'executed'}, and nb then holds the
    outputs as the build keeps them, or a failed one naming the cell and
    the cause. Touches no file: the local executor (run) and a cluster's
    task (builder.tools.cluster) both execute through it."""
    current = {}
    client = NotebookClient(
        nb, km=km, timeout=timeout, kernel_name=km.kernel_name,
        record_timing=False,
        on_cell_execute=lambda cell, cell_index: current.update(
            cell=cell, index=cell_index),
        resources={'metadata': {'path': str(folder)}})

    def failed(cause):
        cell = current.get('cell')
        place = where(cell, code_cells(nb).index(cell)) if cell else {}
        return {'status': 'failed', **place, 'cause': cause}

    try:
        await client.async_execute()
    except DeadKernelError:
        code = exit_code(km)
        return failed('kernel died' + (f' (exit code {code})'
                                       if code is not None else ''))
    except CellTimeoutError:
        return failed(f'the cell ran longer than {timeout} s, the limit '
                      'for a cell (cell_timeout in config.ini; a page can '
                      'raise it in its [page ...] section)')
    except CellExecutionError as error:
        cause = str(error).strip().splitlines()[-1]
        return {'status': 'failed', **(failure(nb) or {'cause': cause})}
    clean_outputs(nb)
    nbformat.validate(nb)
    return {'status': 'executed'}


async def run(job, km):
    """Execute a notebook in km, a fresh kernel started for it."""
    out = book.ROOT / job.out
    nb = nbformat.read(book.ROOT / job.selected, as_version=4)
    answer = await execute(nb, km, cell_timeout(job), out.parent)
    if answer['status'] == 'executed':
        notebooks.write(out, nb)
    else:
        # Never leave an older run's outputs where a failed one belongs
        out.unlink(missing_ok=True)
    return answer


def folder_of(job):
    folder = (book.ROOT / job.out).parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def watch_parent(kernels, parent):
    """Exit, ending every kernel, once the driver that started us is gone
    (killed, say, while a cell runs: it can no longer close our stdin)."""
    while os.getppid() == parent:
        await asyncio.sleep(0.2)
    kernels.kill_all()
    os._exit(1)


async def main_async():
    kernels = Kernels()
    loop = asyncio.get_running_loop()

    def stop():
        kernels.kill_all()
        os._exit(128 + signal.SIGTERM)

    loop.add_signal_handler(signal.SIGTERM, stop)
    watcher = asyncio.ensure_future(watch_parent(kernels, os.getppid()))

    async def execute(job, upcoming):
        km = await kernels.take(job.tab, folder_of(job))
        if upcoming:
            # It boots while this notebook runs
            kernels.prestart(upcoming.tab, folder_of(upcoming))
        try:
            return await run(job, km)
        except BaseException:
            (book.ROOT / job.out).unlink(missing_ok=True)
            raise
        finally:
            await kernels.shutdown(km)

    try:
        await worker.serve(execute)
    finally:
        watcher.cancel()
        await kernels.discard()


def main():
    os.environ.update(book.KERNEL_ENV)
    os.environ.update(envs.with_book_path())
    asyncio.run(main_async())


if __name__ == '__main__':
    run_step('kernels', main)
