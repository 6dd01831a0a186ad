"""Which raw files arrived: their names and partition days, scanning the raw prefix, S3 event messages. No
Dagster here."""
