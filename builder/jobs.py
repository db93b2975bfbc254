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


def start_workers(queue, count, make_client, report):
    """Threads that execute queued notebooks until the queue is closed.

    make_client(index) starts a worker's executor at once, so Python and
    nbclient load while the prepare step still runs; report(job, answer)
    is called under one lock, so it may update shared state.
    """
    lock = threading.Lock()

    def work(index):
        client = make_client(index)
        try:
            while True:
                job, next_job, more = queue.get()
                if job is None:
                    return
                upcoming = likely_next(job, next_job, more)
                answer = client.run(job, upcoming)
                with lock:
                    report(job, answer)
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def all_jobs(pages, tabs):
    return [book.Job(page, tab) for page in pages for tab in tabs]
