"""Dagster glue only: assets, checks, sensors, the job, partitions, alerts and resources, each short; the
engines they call live in arrivals/, postings/, pipeline/, cache/ and model_client/."""
