-- A missing native library or decoder is the machine's problem, not the photo's (issue #14): such a job now waits
-- (queued, uncharged, reason starting 'not available on this machine: ') and runs once the machine has it. Before,
-- these jobs were charged and failed for good: libvips could not be loaded (every stage that decodes), libvips had
-- no HEIF loader, or libheif had no HEVC decoder for an iPhone HEIC. Put those back once, as fresh jobs; the stages
-- after them are queued as usual when they succeed.
UPDATE jobs
SET state = 'queued', attempts = 0, not_before = enqueued_at, lease_owner = NULL,
    lease_expires_at = NULL, finished_at = NULL, crash_suspect = 0,
    last_error = 'put back: it had failed because this machine could not decode it (' || last_error || ')'
WHERE state = 'failed'
  AND (last_error LIKE 'VipsUnavailableException:%'
       OR last_error LIKE 'libvips unavailable:%'
       OR last_error LIKE '%has not been built in: HEVC%'
       OR last_error LIKE '%no HEIF loader%');
