"""Execute a downloaded zip's notebooks in a reader's environment.

``<tools python> tests/run_downloaded.py ENV KERNEL CACHE NOTEBOOK...``,
started by test_downloads (one process per framework, so that two run at
once). Each notebook runs with nbclient in a fresh kernel of ENV (the
kernel it registered as KERNEL), in the notebook's own folder, with no
PYTHONPATH: nothing of the repository is on the kernel's path. The
kernel gets the build's KERNEL_ENV (quiet frameworks, a fixed hash seed,
one thread), so that its outputs can be compared with the build's.

The executed notebook goes to CACHE/<hash of the notebook>.ipynb, and a
notebook already there is not run again: CACHE lies inside ENV, whose
name hashes the requirements and the wheel, so the same notebook in the
same environment is only ever executed once. A last line of JSON names
the d2l module and the path the kernel saw.
"""
import asyncio
import hashlib
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from builder import book
from builder.tools.kernels import Kernels, clean_outputs

PROBE = 'import d2l, json, sys; print(json.dumps([d2l.__file__, sys.path]))'


def run(kernels, nb, folder, timeout):
    """Execute nb in a fresh kernel of the reader's environment, as the
    build's executor does (builder.tools.kernels), and shut it down."""
    async def go():
        km = await kernels.take('reader', folder)
        try:
            await NotebookClient(
                nb, km=km, timeout=timeout, record_timing=False,
                resources={'metadata': {'path': str(folder)}}
            ).async_execute()
        finally:
            await kernels.shutdown(km)
    asyncio.run(go())


def cached(cache, path):
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return cache / f'{digest}.ipynb'


def execute(kernels, path, out):
    nb = nbformat.read(path, as_version=4)
    run(kernels, nb, path.parent, timeout=20 * 60)
    clean_outputs(nb)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))


def main():
    env, kernel, cache, *paths = sys.argv[1:]
    env, cache = Path(env), Path(cache)
    os.environ.pop('PYTHONPATH', None)
    os.environ.update(book.KERNEL_ENV)
    kernels = Kernels(spec=lambda tab: (env / 'share' / 'jupyter' /
                                        'kernels', kernel))
    try:
        for path in map(Path, paths):
            out = cached(cache, path)
            if not out.exists():
                print(f'[downloads] executing {path.name}', flush=True)
                execute(kernels, path, out)
        probe = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(PROBE)])
        run(kernels, probe, Path(paths[0]).parent, timeout=120)
        print(probe.cells[0].outputs[0]['text'].strip(), flush=True)
    finally:
        asyncio.run(kernels.discard())


if __name__ == '__main__':
    main()
