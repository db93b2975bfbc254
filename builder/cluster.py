"""The driver's half of the cluster executor (``--executor ray``).

One process of builder.tools.cluster, in the Ray environment, joins the
cluster at RAY_ADDRESS and runs every queued notebook as a Ray task;
this module starts it, says what the cluster holds, feeds it the queue
and reports its answers, with the same interface as builder.jobs.Workers
so that builder.pipeline runs either executor alike. Every notebook
executed on the cluster is listed, with its node, in
_build/logs/cluster.json. Standard library only.
"""
import contextlib
import json
import os
import signal
import subprocess
import threading

from builder import book, envs, state


class ClusterError(RuntimeError):
    """The cluster cannot be reached or does not answer."""


LOG = book.BUILD / 'logs' / 'cluster.json'


class Cluster:
    """The tools' process that holds the connection to the cluster."""

    def __init__(self, address):
        self.log = book.BUILD / 'logs' / 'cluster.log'
        self.log.parent.mkdir(parents=True, exist_ok=True)
        python = envs.ensure(envs.RAY)
        self.proc = subprocess.Popen(
            [str(python), '-m', 'builder.tools.cluster', '--address',
             address], cwd=book.ROOT, env=envs.with_book_path(), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log.open('w'), start_new_session=True)
        first = self.proc.stdout.readline()
        if not first:
            self.stop()
            lines = self.log.read_text().strip().splitlines()
            raise ClusterError(f'cannot join the Ray cluster at {address}: '
                               f'{lines[-1] if lines else "no message"}')
        self.resources = json.loads(first)['cluster']

    def stop(self):
        """End the process now: it cancels every task it submitted."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def devices(cluster, gpu, jobs, say):
    """Whether this build runs its GPU pages on GPUs: asked for (gpu),
    and the cluster has a GPU node. Sets it for every step."""
    os.environ.pop(state.GPU_PAGES, None)
    if not gpu:
        return
    if cluster.resources['gpus']:
        os.environ[state.GPU_PAGES] = '1'
        return
    wanting = sorted({str(j.page) for j in jobs
                      if book.page_setting(j.page, 'gpus', 0) > 0})
    say(f'[cluster] no node of the cluster has a GPU: '
        f'{", ".join(wanting) or "no page"} (gpus = 1) run on a CPU')


class Pool:
    """Feed the queue to the cluster; the interface of jobs.Workers.

    report(job, answer) is called holding ``lock``; stop() cancels the
    tasks left and reports nothing more.
    """

    def __init__(self, queue, cluster, report, lock=None):
        self.queue, self.cluster, self.report = queue, cluster, report
        self.lock = lock or threading.Lock()
        self.stopping = threading.Event()
        self.sent, self.ran = {}, {}
        self.threads = [threading.Thread(target=self.feed, daemon=True),
                        threading.Thread(target=self.answers, daemon=True)]
        for thread in self.threads:
            thread.start()

    def feed(self):
        stdin = self.cluster.proc.stdin
        try:
            while not self.stopping.is_set():
                job, _, _ = self.queue.get()
                if job is None:
                    break
                self.sent[(str(job.page), job.tab)] = job
                stdin.write(json.dumps({'page': str(job.page),
                                        'tab': job.tab,
                                        'device': state.device(job)}) + '\n')
                stdin.flush()
        except OSError:  # it crashed; answers() says so
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def answers(self):
        for line in self.cluster.proc.stdout:
            try:
                answer = json.loads(line)
                job = self.sent.pop((answer['page'], answer['tab']))
            except (ValueError, KeyError):  # not an answer; the job, if
                continue                    # any, is failed below
            with self.lock:
                if self.stopping.is_set():
                    return
                if answer['status'] == 'executed':
                    self.ran[str(job)] = {k: answer.get(k) for k in (
                        'node', 'device', 'cuda_visible_devices')}
                self.report(job, answer)
        code = self.cluster.proc.wait()
        with self.lock:
            if self.stopping.is_set():
                return
            rel = self.cluster.log.relative_to(book.ROOT)
            for job in list(self.sent.values()):
                self.report(job, {'status': 'failed', 'seconds': 0,
                                  'cause': 'the cluster executor ended '
                                  f'(exit code {code}); see {rel}'})

    def join(self):
        for thread in self.threads:
            thread.join()
        self.write_log()

    def stop(self):
        self.stopping.set()
        self.queue.close()
        self.cluster.stop()
        self.write_log()

    def write_log(self):
        with self.lock:
            state.write_atomic(LOG, json.dumps(self.ran, indent=1,
                                               sort_keys=True))
