"""The cluster executor: each notebook as a Ray task on an existing cluster.

``<ray python> -m builder.tools.cluster --address HOST:PORT``, one
process per build, started by builder.cluster in the environment of
requirements/tools.txt plus requirements/ray.txt. Its first line says
what the cluster holds::

    {"cluster": {"nodes": 2, "cpus": 4, "gpus": 1}}

then it reads one request a line, ``{"page": ..., "tab": ...,
"device": "cpu" | "gpu"}``, submits a task for it at once, and answers
each notebook as its task ends, in whatever order they end, with
builder.worker's answer plus the page, the framework, the device and the
node that ran it.

A task (execute_on_node) runs on whichever node Ray picks: one CPU, and
one GPU for a GPU page (Ray sets CUDA_VISIBLE_DEVICES for it). There it
makes the framework's environment from the same pinned requirements,
named by the same hash (builder.envs; a node that has it already reuses
it), and runs the notebook in a fresh kernel of it through
builder.tools.kernels.execute, as the local executor does. It returns
the executed notebook, whose keys this process checks and which it
writes into _build as the local executor would. The book's code reaches
the nodes as the task's working_dir (the clone without _build), so
every node runs this build's d2l. Ray takes a working_dir only when a
driver joins, so this process joins twice: once to say what the cluster
holds, and again, with the book's code, when the first notebook comes
(the prepare step has regenerated d2l by then).

A worker that dies mid-notebook has its task retried (Ray's retries); a
failing cell is an answer, not an error, so it is not retried. SIGTERM
(the driver's Ctrl-C), or the driver going away, cancels every task
still pending or running and ends this process.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
import ray

from builder import book, envs, state
from builder.tools import notebooks, run_step
from builder.tools.kernels import Kernels, cell_timeout, execute

# How often a task is tried again when its worker or node dies
RETRIES = 3
# The driver reads answers here; whatever else writes to standard output
# (Ray says when a worker dies, for one) goes to the log instead (main)
ANSWERS = sys.stdout


@ray.remote(max_retries=RETRIES)
def execute_on_node(page, tab, device, text, timeout):
    """Run one notebook on this node; builder.worker's answer, with the
    executed notebook (on success), the node and the device."""
    node = ray.get_runtime_context().get_node_id()
    os.environ.update(book.KERNEL_ENV)
    os.environ.update(envs.with_book_path())
    name = envs.for_device(tab, device)
    envs.ensure(name)
    job = book.Job(Path(page), tab)
    folder = book.ROOT / job.out.parent
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.reads(text, as_version=4)

    async def in_a_fresh_kernel():
        kernels = Kernels(spec=lambda _: (envs.kernels_dir(name),
                                          envs.kernel_name(tab)))
        try:
            km = await kernels.take(tab, folder)
            try:
                return await execute(nb, km, timeout, folder)
            finally:
                await kernels.shutdown(km)
        finally:
            await kernels.discard()

    tik = time.time()
    answer = asyncio.run(in_a_fresh_kernel())
    answer['seconds'] = round(time.time() - tik, 1)
    if answer['status'] == 'executed':
        answer['notebook'] = nbformat.writes(nb)
    return {**answer, 'node': node, 'device': device,
            'cuda_visible_devices': os.environ.get('CUDA_VISIBLE_DEVICES')}


def runtime_env():
    """The book's code for the nodes: the clone without what it builds."""
    return {'working_dir': str(book.ROOT),
            'excludes': ['_build/', '.git', '__pycache__/'],
            'env_vars': {'RAY_USAGE_STATS_ENABLED': '0'}}


def connect(address, **options):
    """Join the cluster as a driver; a machine that reaches it on the
    loopback binds there too (nothing else is contacted)."""
    host = address.rsplit(':', 1)[0]
    loopback = host in ('127.0.0.1', 'localhost')
    ray.shutdown()
    ray.init(address=address, logging_level='ERROR', log_to_driver=False,
             **({'_node_ip_address': '127.0.0.1'} if loopback else {}),
             **options)


def holdings():
    """What the cluster holds: nodes alive, CPUs and GPUs."""
    resources = ray.cluster_resources()
    alive = [n for n in ray.nodes() if n.get('Alive')]
    return {'nodes': len(alive), 'cpus': int(resources.get('CPU', 0)),
            'gpus': int(resources.get('GPU', 0))}


class Tasks:
    """The notebooks in flight: submitted, answered as each one ends."""

    def __init__(self, address):
        self.address, self.joined_with_code = address, False
        self.pending = {}  # ObjectRef -> (job, device, selected text)
        self.lock = threading.Lock()
        self.output = threading.Lock()

    def submit(self, job, device):
        if not self.joined_with_code:
            connect(self.address, runtime_env=runtime_env())
            self.joined_with_code = True
        text = (book.ROOT / job.selected).read_text(encoding='utf-8')
        task = execute_on_node.options(
            num_cpus=1, num_gpus=1 if device == 'gpu' else 0)
        ref = task.remote(str(job.page), job.tab, device, text,
                          cell_timeout(job))
        with self.lock:
            self.pending[ref] = (job, device, text)

    def answer_finished(self, wait=0.5):
        """Answer the tasks that ended within wait seconds."""
        with self.lock:
            refs = list(self.pending)
        if not refs:
            time.sleep(wait)
            return
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=wait)
        for ref in done:
            with self.lock:
                job, device, text = self.pending.pop(ref)
            self.emit(job, finished(job, device, text, ref))

    def emit(self, job, answer):
        with self.output:
            print(json.dumps({'page': str(job.page), 'tab': job.tab,
                              **answer}), file=ANSWERS, flush=True)

    def cancel_all(self):
        with self.lock:
            refs, self.pending = list(self.pending), {}
        for ref in refs:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # it ended meanwhile
                pass


def finished(job, device, text, ref):
    """The answer for a task that ended, its notebook written into
    _build as the local executor writes it."""
    out = book.ROOT / job.out
    try:
        answer = ray.get(ref)
    except ray.exceptions.RayTaskError as error:  # raised inside the task
        cause = error.cause
        answer = {'status': 'failed', 'device': device,
                  'cause': f'{type(cause).__name__}: {cause}'}
    except ray.exceptions.RayError as error:  # its workers kept dying
        answer = {'status': 'failed', 'device': device,
                  'cause': f'the task failed {RETRIES + 1} times on the '
                  f'cluster ({type(error).__name__})'}
    executed = answer.pop('notebook', None)
    if answer['status'] != 'executed':
        # Never leave an older run's outputs where a failed one belongs
        out.unlink(missing_ok=True)
        answer.setdefault('seconds', 0)
        return answer
    nb = nbformat.reads(executed, as_version=4)
    sent = nbformat.reads(text, as_version=4).metadata.get(state.META)
    if nb.metadata.get(state.META) != sent:
        out.unlink(missing_ok=True)
        return {**answer, 'status': 'failed',
                'cause': 'the node returned a notebook with other keys '
                'than the build sent it'}
    notebooks.write(out, nb)
    return answer


def serve(tasks, stdin=sys.stdin):
    """Submit each request as it comes; answer each task as it ends;
    return once the requests have ended and every task is answered."""
    closed = threading.Event()

    def answer_all():
        while not closed.is_set() or tasks.pending:
            tasks.answer_finished()

    answering = threading.Thread(target=answer_all, daemon=True)
    answering.start()
    for line in stdin:
        request = json.loads(line)
        job = book.Job(Path(request['page']), request['tab'])
        device = request.get('device', 'cpu')
        try:
            tasks.submit(job, device)
        except Exception as error:  # the cluster refused it
            tasks.emit(job, {'status': 'failed', 'seconds': 0,
                             'device': device,
                             'cause': f'{type(error).__name__}: {error}'})
    closed.set()
    answering.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--address', required=True)
    args = parser.parse_args()
    os.environ['RAY_USAGE_STATS_ENABLED'] = '0'
    global ANSWERS
    ANSWERS = os.fdopen(os.dup(sys.stdout.fileno()), 'w')
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    connect(args.address)
    print(json.dumps({'cluster': holdings()}), file=ANSWERS, flush=True)
    tasks = Tasks(args.address)

    def stop(*_):
        tasks.cancel_all()
        os._exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    parent = os.getppid()

    def watch_parent():
        # The driver was killed: it can no longer stop us, so stop now
        while os.getppid() == parent:
            time.sleep(0.2)
        stop()

    threading.Thread(target=watch_parent, daemon=True).start()
    serve(tasks)


if __name__ == '__main__':
    run_step('cluster', main)
