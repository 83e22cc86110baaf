-- A job that was in flight, together with others, when the daemon died is a crash suspect: nobody can tell which of
-- them (if any) killed the process, so none is charged the attempt its claim counted. Suspects then run one at a time
-- with nothing else in flight; one that takes the process down alone is the culprit and keeps the attempt, and after
-- the stage's maximum it is quarantined. Without this, innocent photos in flight beside a photo that crashes the
-- daemon (or during repeated power losses or kill -9) would be quarantined with it.
ALTER TABLE jobs ADD COLUMN crash_suspect INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_crash_suspects ON jobs(stage, state) WHERE crash_suspect = 1;
