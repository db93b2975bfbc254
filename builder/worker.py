"""The executor protocol, both halves: the driver's client and the loop
that serves it inside the tools environment.

A worker of the driver starts one executor process (``<tools python> -m
builder.tools.kernels``) and talks to it in JSON lines. Each request
names a notebook to execute and, optionally, the one likely to follow::

    {"page": "chapter_builders-guide/parameters.md", "tab": "jax",
     "next": {"page": "...", "tab": "pytorch"}}

and each answer says what happened::

    {"status": "executed", "seconds": 3.2}
    {"status": "failed", "seconds": 1.0, "cell": 7, "line": 120,
     "first_line": "net.apply(...)", "cause": "TypeError: ..."}

The executor starts the next notebook's kernel while the current one
runs. Closing the request stream ends the executor. Standard library
only: the server half takes the coroutine that executes a notebook.
"""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from builder import book, envs


def request(job, upcoming=None):
    message = {'page': str(job.page), 'tab': job.tab}
    if upcoming:
        message['next'] = {'page': str(upcoming.page), 'tab': upcoming.tab}
    return json.dumps(message)


def parse_request(line):
    """(job, upcoming job or None) from a request line."""
    message = json.loads(line)
    upcoming = message.get('next')
    return (book.Job(Path(message['page']), message['tab']),
            book.Job(Path(upcoming['page']), upcoming['tab'])
            if upcoming else None)


class Client:
    """The driver's half: one executor process and its log.

    The executor runs in a session of its own, so a Ctrl-C at the
    terminal reaches the driver alone, which then stops it (stop()).
    An executor that crashed is started again for the next notebook.
    """

    def __init__(self, name):
        self.log = book.BUILD / 'logs' / f'{name}.log'
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [str(envs.python(envs.TOOLS)), '-m', 'builder.tools.kernels'],
            cwd=book.ROOT, env=envs.with_book_path(), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log.open('a'), start_new_session=True)

    def run(self, job, upcoming=None):
        """Execute a notebook; return the executor's answer."""
        if self.proc.poll() is not None:
            self.start()
        try:
            self.proc.stdin.write(request(job, upcoming) + '\n')
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())
        except (OSError, ValueError):
            code = self.proc.poll()
            self.stop()
            rel = self.log.relative_to(book.ROOT)
            return {'status': 'failed', 'seconds': 0,
                    'cause': f'the executor crashed (exit code {code}); '
                    f'see {rel}'}

    def stop(self):
        """End the executor now; it ends its kernels on SIGTERM."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def close(self):
        """Let the executor finish: it exits when its requests end."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait()


async def serve(execute, stdin=sys.stdin, stdout=sys.stdout):
    """The executor's half: answer requests until the stream closes.

    ``await execute(job, upcoming)`` returns the answer without its
    seconds; an exception it raises becomes a failed answer. Requests are
    read in a thread, so the event loop (and the kernels' timers and
    liveness checks) keeps running while the executor waits.
    """
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            return
        job, upcoming = parse_request(line)
        tik = time.time()
        try:
            answer = await execute(job, upcoming)
        except Exception as error:  # a broken kernel or environment
            answer = {'status': 'failed',
                      'cause': f'{type(error).__name__}: {error}'}
        answer['seconds'] = round(time.time() - tik, 1)
        print(json.dumps(answer), file=stdout, flush=True)
