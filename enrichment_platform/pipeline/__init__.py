"""The per-file loop the assets share: manifests, the hand-off between steps on local disk, worker processes,
dead letters, batched level checkpoints, and the seniority of a file's pairs. No Dagster here."""
