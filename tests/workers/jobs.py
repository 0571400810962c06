"""Jobs the worker tests enqueue: each leaves one file that names the job, the cluster
that ran it and the process, so a job run twice leaves two files."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path


def record(job_id: int, directory: str) -> int:
    time.sleep(0.01)  # long enough for both clusters to be busy at once
    cluster = os.environ.get("KETACLINIC_TEST_CLUSTER", "unknown")
    name = f"{job_id:05d}.{cluster}.{os.getpid()}.{uuid.uuid4().hex}"
    Path(directory, name).touch()
    return job_id
