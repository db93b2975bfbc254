"""The notebooks waiting to execute, and the worker threads that run them.

The prepare step queues notebooks while it still runs; each worker thread
owns one executor (builder.worker.Client) and takes the next notebook as
soon as it is free. Standard library only.
"""
import threading

from builder import book


class JobQueue:
    """Notebooks to execute, filled while the prepare step still runs."""

    def __init__(self):
        self.jobs, self.closed = [], False
        self.ready = threading.Condition()

    def put(self, job):
        with self.ready:
            self.jobs.append(job)
            self.ready.notify()

    def close(self):
        """No more jobs will come; idle workers stop."""
        with self.ready:
            self.closed = True
            self.ready.notify_all()

    def get(self):
        """Wait for the next job: (job, next_job, more_may_come).

        next_job is the job queued after it (None if none is yet), and
        more_may_come says whether the prepare step may still add one.
        job is None once the queue is closed and empty.
        """
        with self.ready:
            self.ready.wait_for(lambda: self.jobs or self.closed)
            if not self.jobs:
                return None, None, False
            job = self.jobs.pop(0)
            return job, (self.jobs[0] if self.jobs else None), \
                not self.closed


def likely_next(job, next_job, more_may_come):
    """The job whose kernel a worker should start while this one runs:
    the next in the queue or, while more may come and none is queued yet,
    a notebook of the same framework beside this one (the prepare step
    queues a framework's pages together)."""
    if next_job is not None:
        return next_job
    return job if more_may_come else None


class Workers:
    """Threads that execute queued notebooks until the queue is closed.

    make_client(index) starts a worker's executor at once, so Python and
    nbclient load while the prepare step still runs; report(job, answer)
    is called holding ``lock``, which the caller also holds whenever it
    touches what report updates. stop() ends every executor at once and
    reports nothing more.
    """

    def __init__(self, queue, count, make_client, report, lock=None):
        self.queue, self.report = queue, report
        self.lock = lock or threading.Lock()
        self.stopping = threading.Event()
        self.clients = [None] * count
        self.threads = [threading.Thread(target=self.work,
                                         args=(i, make_client),
                                         daemon=True) for i in range(count)]
        for thread in self.threads:
            thread.start()

    def work(self, index, make_client):
        client = self.clients[index] = make_client(index)
        if self.stopping.is_set():  # stop() came while it started
            client.stop()
            return
        try:
            while not self.stopping.is_set():
                job, next_job, more = self.queue.get()
                if job is None or self.stopping.is_set():
                    return
                answer = client.run(job, likely_next(job, next_job, more))
                with self.lock:
                    if not self.stopping.is_set():
                        self.report(job, answer)
        finally:
            if not self.stopping.is_set():
                client.close()

    def join(self):
        for thread in self.threads:
            thread.join()

    def stop(self):
        self.stopping.set()
        self.queue.close()
        for client in self.clients:
            if client is not None:
                client.stop()


def all_jobs(pages, tabs):
    return [book.Job(page, tab) for page in pages for tab in tabs]
