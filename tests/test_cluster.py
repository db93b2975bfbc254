"""The cluster executor on a real two-node Ray cluster on this machine.

Both nodes and the build's driver bind to the loopback; the second node
declares a GPU (Ray accepts one on a CPU machine), so the tasks of the
page that asks for one must land there. The test book has no GPU builds
of the frameworks (requirements/*-gpu.txt removed: a GPU torch is
gigabytes), so the GPU page runs the CPU builds on the GPU node and
prints what it prints locally. The cluster is stopped at the end and
nothing of it is left running.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from books import driver, make_book, page, start
from builder import cluster as clusters, envs, state
from conftest import ROOT
from test_faults import none_left, processes_in

PAGES = ['chapter_builders-guide/use-gpu.md',
         'chapter_builders-guide/lazy-init.md']
GPU_PAGE = PAGES[0]
TABS = 'pytorch, mxnet, jax, tensorflow'


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(('127.0.0.1', 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def chapter_book(root):
    """A book of the GPU page and one other, in every framework."""
    make_book(root, {}, tabs=TABS)
    for name in PAGES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        # Pointers to sections outside this book would fail the lint
        text = re.sub(r':numref:`\w+`', 'another section',
                      (ROOT / name).read_text())
        (root / name).write_text(text)
    toc = '\n'.join(p.removesuffix('.md') for p in PAGES)
    (root / 'index.md').write_text(f'# Book\n\n```toc\n{toc}\n```\n')
    for gpu in (root / 'requirements').glob('*-gpu.txt'):
        gpu.unlink()
    return root


class Cluster:
    """A head and a worker node that declares one GPU, each started by
    `ray start` in a session of its own, so that stop() ends exactly
    their processes (by session id), and nothing else of the machine."""

    def __init__(self, temp):
        self.temp = temp
        # Two busy cores can take longer than Ray waits for a raylet
        self.env = dict(envs.with_book_path(), STARTED=str(temp / 'started'),
                        RAY_raylet_start_wait_time_s='180')
        self.sessions = []

    def start_nodes(self):
        ray = envs.ensure(envs.RAY).parent / 'ray'
        temp = self.temp
        port, *head_ports = free_ports(5)
        self.address = f'127.0.0.1:{port}'
        self.start([ray, 'start', '--head', '--port', port, '--num-cpus',
                    2, '--num-gpus', 0, '--include-dashboard', 'false',
                    '--temp-dir', temp / 'ray', '--disable-usage-stats',
                    *self.agent_ports(head_ports)])
        self.start([ray, 'start', '--address', self.address, '--num-cpus',
                    2, '--num-gpus', 1, *self.agent_ports(free_ports(4))])

    @staticmethod
    def agent_ports(ports):
        # Given ports, the raylet does not wait for its agents to report
        # theirs (which takes longer than it waits on two busy cores)
        names = ['--metrics-export-port', '--dashboard-agent-listen-port',
                 '--dashboard-agent-grpc-port', '--runtime-env-agent-port']
        return [a for pair in zip(names, ports) for a in pair]

    def start(self, cmd):
        proc = subprocess.Popen(
            [str(c) for c in cmd] + ['--node-ip-address', '127.0.0.1'],
            env=self.env, start_new_session=True, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.sessions.append(proc.pid)
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out[-3000:]

    def nodes(self):
        """Node id -> GPUs it declared."""
        code = ('import json, ray; ray.init(address=%r, _node_ip_address='
                '"127.0.0.1", logging_level="ERROR"); print(json.dumps('
                '{n["NodeID"]: n["Resources"].get("GPU", 0) for n in '
                'ray.nodes() if n["Alive"]}))' % self.address)
        out = subprocess.run([str(envs.python(envs.RAY)), '-c', code],
                             env=self.env, capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    def processes(self):
        """Every process of the nodes, and any kernel their tasks left
        (kernels run in sessions of their own, in the nodes' folders)."""
        found = []
        for proc in psutil.process_iter(['pid']):
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:
                    continue  # it has ended; only its parent can reap it
                if os.getsid(proc.pid) in self.sessions or \
                        proc.cwd().startswith(str(self.temp)):
                    found.append(proc)
            except (psutil.Error, ProcessLookupError, PermissionError):
                pass
        return found

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in self.processes():
                try:
                    proc.send_signal(sig)
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(self.processes(), timeout=10)


@pytest.fixture(scope='module')
def cluster():
    # A short folder: Ray's Unix sockets live in it
    temp = Path(tempfile.mkdtemp(prefix='bg-ray-', dir='/tmp'))
    running = Cluster(temp)
    try:
        running.start_nodes()
        yield running
    finally:
        running.stop()
        assert running.processes() == [], 'the cluster left processes'
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope='module')
def built(cluster, tmp_path_factory):
    """The same book built here and on the cluster (GPU pages on GPUs)."""
    local = chapter_book(tmp_path_factory.mktemp('local'))
    remote = chapter_book(tmp_path_factory.mktemp('remote'))
    tik = time.time()
    here = driver(local, 'eval', timeout=900)
    local_seconds = time.time() - tik
    assert here.returncode == 0, here.stdout + here.stderr
    tik = time.time()
    there = driver(remote, 'eval', '--executor', 'ray', '--ray-address',
                   cluster.address, '--gpu', timeout=900)
    print(f'local build {local_seconds:.0f} s, cluster build '
          f'{time.time() - tik:.0f} s')
    assert there.returncode == 0, there.stdout + there.stderr
    return local, remote, there


def text(out):
    return ''.join(out['text']) if isinstance(out['text'], list) \
        else out['text']


def shown(nb):
    """The cells as a reader sees them: ipykernel splits one cell's
    printing into several stream outputs wherever it flushed, which
    depends on timing, not on the device."""
    for cell in nb['cells']:
        merged = []
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'stream':
                out = {**out, 'text': text(out)}
            if merged and out.get('output_type') == 'stream' and \
                    merged[-1].get('output_type') == 'stream' and \
                    merged[-1]['name'] == out['name']:
                merged[-1] = {**merged[-1], 'text': text(merged[-1])
                              + text(out)}
            else:
                merged.append(out)
        cell['outputs'] = merged
    return nb['cells']


def notebook(root, page, tab):
    return root / '_build' / f'eval_{tab}' / Path(page).with_suffix('.ipynb')


def test_every_notebook_ran_on_the_cluster_the_gpu_page_on_the_gpu_node(
        cluster, built):
    _, remote, result = built
    assert '[cluster] ' + cluster.address + ': 2 nodes, 4 CPUs, 1 GPUs' \
        in result.stdout
    ran = json.loads((remote / '_build' / 'logs' / 'cluster.json')
                     .read_text())
    tabs = [t.strip() for t in TABS.split(',')]
    assert sorted(ran) == sorted(f'{p} [{t}]' for p in PAGES for t in tabs)
    nodes = cluster.nodes()
    gpu_node, = [node for node, gpus in nodes.items() if gpus]
    for job, where in ran.items():
        assert where['node'] in nodes
        if job.startswith(GPU_PAGE):
            assert where == {'node': gpu_node, 'device': 'gpu',
                             'cuda_visible_devices': '0'}
        else:
            assert where['device'] == 'cpu'


def test_cluster_notebooks_equal_a_local_build(built):
    local, remote, _ = built
    for tab in [t.strip() for t in TABS.split(',')]:
        for name in PAGES:
            here = notebook(local, name, tab).read_bytes()
            there = notebook(remote, name, tab).read_bytes()
            if name != GPU_PAGE:
                assert here == there, f'{name} [{tab}] differs'
                continue
            # The GPU run's keys name its device; the cells are the same
            here, there = json.loads(here), json.loads(there)
            assert shown(here) == shown(there), f'{name} [{tab}]'
            keys = there['metadata'][state.META]
            assert keys['parts']['code']['device'] == 'gpu'
            assert keys['code'] != here['metadata'][state.META]['code']


def test_a_gpu_run_is_not_taken_for_a_cpu_one(built):
    _, remote, _ = built
    again = driver(remote, 'plan')
    steps = json.loads(again.stdout.strip().splitlines()[-1])
    # Without --gpu the GPU page's notebooks are not current: their keys
    # name the GPU, so a CPU build runs them again rather than keep them
    assert sorted(steps) == sorted([GPU_PAGE, t.strip(), 'run']
                                   for t in TABS.split(','))


KILLED = """\
import os, time
if not os.path.exists(os.environ['STARTED']):
    with open(os.environ['STARTED'], 'w') as f:
        f.write(str(os.getppid()))
    time.sleep(300)
'finished'"""


def test_a_worker_killed_mid_notebook_is_retried_and_the_build_succeeds(
        cluster, tmp_path):
    root = make_book(tmp_path, {'killed': page(KILLED, tab='jax')},
                     tabs='jax')
    build = start(root, 'eval', '--executor', 'ray', '--ray-address',
                  cluster.address)
    started = Path(cluster.env['STARTED'])
    deadline = time.time() + 300
    while not started.exists() or not started.read_text():
        assert build.poll() is None, build.communicate()
        assert time.time() < deadline, 'the notebook never started'
        time.sleep(0.2)
    # The kernel's parent is the Ray worker running the task
    worker = psutil.Process(int(started.read_text()))
    assert 'execute_on_node' in ' '.join(worker.cmdline()) or \
        'default_worker' in ' '.join(worker.cmdline())
    worker.kill()
    out, err = build.communicate(timeout=600)
    assert build.returncode == 0, out + err
    assert ' 1 executed' in out
    cells = json.loads(notebook(root, 'killed.md', 'jax').read_text())
    assert 'finished' in json.dumps(cells['cells'][-1]['outputs'])
    assert none_left(root) == []


def test_a_failing_cell_on_the_cluster_is_named_as_locally(cluster,
                                                           tmp_path):
    root = make_book(tmp_path, {'fails': page('x = 1', 'y = x / 0',
                                              tab='jax')}, tabs='jax')
    result = driver(root, 'eval', '--executor', 'ray', '--ray-address',
                    cluster.address, timeout=600)
    assert result.returncode != 0
    assert ('FAILED fails.md:15 [jax] cell 2 `y = x / 0`: ZeroDivisionError: '
            'division by zero') in result.stdout
    assert not notebook(root, 'fails.md', 'jax').exists()
    assert processes_in(root) == []


class NoGPUs:
    resources = {'nodes': 1, 'cpus': 2, 'gpus': 0}


def test_a_gpu_page_on_a_cluster_without_gpus_runs_on_a_cpu_with_a_notice(
        monkeypatch):
    from builder import book
    said = []
    monkeypatch.delenv(state.GPU_PAGES, raising=False)
    jobs = [book.Job(Path(p), 'jax') for p in PAGES]
    clusters.devices(NoGPUs(), True, jobs, said.append)
    assert said == [f'[cluster] no node of the cluster has a GPU: '
                    f'{GPU_PAGE} (gpus = 1) run on a CPU']
    assert [state.device(job) for job in jobs] == ['cpu', 'cpu']
