"""Two real clusters compete for one queue: every job runs, and runs once.

A "site" (one database, one broker, one site name) gets two ``manage.py qcluster``
processes of two workers each, as two worker machines would run; a third process (the
web side) enqueues 200 jobs through the broker. Each job leaves a file naming itself
and the cluster that ran it.

On Redis the broker hands a job to one ``BLPOP``; on the ORM broker a worker takes a
job by locking its row. The Redis case needs ``Q_REDIS_URL`` (skipped without it,
or when that server does not answer); both need PostgreSQL, the one database the
processes share. CI runs this module once with ``Q_REDIS_URL`` set.
"""

from __future__ import annotations

import collections
import time

import pytest

from tests.workers.conftest import Site, redis_url_or_skip

JOBS = 200

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

ENQUEUE = (
    "import sys\n"
    "from django_q.tasks import async_task\n"
    "for job in range({jobs}):\n"
    "    async_task('tests.workers.jobs.record', job, {directory!r})\n"
    "print('enqueued', {jobs})\n"
)


def runs_by_job(directory) -> dict[int, list[str]]:
    runs = collections.defaultdict(list)
    for path in directory.iterdir():
        job, cluster, *_ = path.name.split(".")
        runs[int(job)].append(cluster)
    return runs


def wait_for_jobs(directory, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while sum(1 for _ in directory.iterdir()) < count:
        if time.monotonic() > deadline:
            return
        time.sleep(0.2)


@pytest.mark.parametrize("broker", ["redis", "orm"])
def test_two_clusters_run_every_job_exactly_once(broker, postgres_only, tmp_path):
    redis_url = redis_url_or_skip() if broker == "redis" else None
    site = Site(tmp_path, redis_url=redis_url)
    done = tmp_path / "done"
    done.mkdir()
    try:
        site.start_cluster("a")
        site.start_cluster("b")
        site.wait_running()

        said = site.manage(
            "shell", "--no-imports", "-c", ENQUEUE.format(jobs=JOBS, directory=str(done))
        )
        wait_for_jobs(done, JOBS, timeout=90)
        time.sleep(2)  # a job run twice would show up now
    finally:
        site.stop()

    runs = runs_by_job(done)
    assert said.strip() == f"enqueued {JOBS}"
    assert sorted(runs) == list(range(JOBS))  # none lost
    assert [job for job, clusters in runs.items() if len(clusters) != 1] == []  # none twice
    by_cluster = collections.Counter(clusters[0] for clusters in runs.values())
    assert set(by_cluster) == {"a", "b"}  # they did compete for the same queue
