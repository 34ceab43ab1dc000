-- Durable jobs (#15): work that outlives a request — a WordPress import started from the
-- dashboard today; webhooks and mail later. One node at a time claims a job (PostgreSQL:
-- FOR UPDATE SKIP LOCKED; SQLite: one writer), keeps `heartbeat_at` fresh while it runs, and
-- writes its progress here, so every node can show it. A running job whose heartbeat is
-- older than the lease (its node crashed) is queued again while attempts remain, else
-- marked interrupted (see src/store/jobs.rs). Timestamps are set in Rust (UTC).
--
-- state: queued | running | done | failed | interrupted
-- payload: JSON of what the job needs (an import's uploaded file is kept under the media
--   directory, shared by the nodes, not in this row); result: JSON report when done.
CREATE TABLE jobs (
    id SERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    payload TEXT NOT NULL,
    progress_phase TEXT NOT NULL,
    progress_done BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    result TEXT,
    error TEXT,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_after TIMESTAMP NOT NULL,
    claimed_by TEXT,
    heartbeat_at TIMESTAMP,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted'))
);
CREATE INDEX jobs_ready_idx ON jobs (state, run_after, id);
CREATE INDEX jobs_kind_idx ON jobs (kind, id);
