"""The push intake HTTP API (`enrichment-platform api`): parts of requests streamed to S3 and numbered in
Redis, close, status and results, synchronous seniority lookups, probes and metrics.
Only app.py knows HTTP."""
