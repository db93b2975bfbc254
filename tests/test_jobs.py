"""The job queue and the choice of the kernel to start ahead."""
import threading
from pathlib import Path

from builder import jobs
from builder.book import Job

A, B, C = (Job(Path(f'{name}.md'), 'jax') for name in 'abc')
T = Job(Path('a.md'), 'tensorflow')


def test_get_returns_the_next_job_and_whether_more_may_come():
    queue = jobs.JobQueue()
    for job in (A, B):
        queue.put(job)
    assert queue.get() == (A, B, True)
    assert queue.get() == (B, None, True)
    queue.close()
    assert queue.get() == (None, None, False)


def test_a_closed_queue_still_hands_out_what_it_holds():
    queue = jobs.JobQueue()
    queue.put(A)
    queue.close()
    assert queue.get() == (A, None, False)
    assert queue.get() == (None, None, False)


def test_get_waits_for_a_job_put_later():
    queue = jobs.JobQueue()
    got = []
    waiter = threading.Thread(target=lambda: got.append(queue.get()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and got == []
    queue.put(C)
    waiter.join(5)
    assert got == [(C, None, True)]


def test_likely_next_is_the_queued_job_else_the_same_framework():
    assert jobs.likely_next(A, T, True) == T
    assert jobs.likely_next(A, T, False) == T
    # Nothing queued yet: the prepare step queues a framework's pages
    # together, so another notebook of A's framework is likely
    assert jobs.likely_next(A, None, True) == A
    assert jobs.likely_next(A, None, False) is None


class FakeClient:
    def __init__(self, ran, ended):
        self.ran, self.ended = ran, ended

    def run(self, job, upcoming):
        self.ran.append((job, upcoming))
        return {'status': 'executed', 'seconds': 0}

    def close(self):
        self.ended.append('closed')

    def stop(self):
        self.ended.append('stopped')


def test_workers_run_every_job_once_and_close_their_clients():
    queue, ran, ended, reported = jobs.JobQueue(), [], [], []
    workers = jobs.Workers(queue, 2, lambda i: FakeClient(ran, ended),
                           lambda job, answer: reported.append(job))
    for job in (A, B, C, T):
        queue.put(job)
    queue.close()
    workers.join()
    assert sorted(map(str, reported)) == sorted(map(str, (A, B, C, T)))
    assert sorted(str(job) for job, _ in ran) == sorted(map(str, reported))
    assert ended == ['closed', 'closed']


def test_stopped_workers_report_nothing_more_and_stop_their_clients():
    queue, ran, ended, reported = jobs.JobQueue(), [], [], []
    workers = jobs.Workers(queue, 2, lambda i: FakeClient(ran, ended),
                           lambda job, answer: reported.append(job))
    while None in workers.clients:
        threading.Event().wait(0.01)
    workers.stop()
    queue.put(A)
    workers.join()
    assert reported == [] and ran == []
    assert ended == ['stopped', 'stopped']
