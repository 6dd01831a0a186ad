"""`enrichment-platform bench ...`: benchmarks on local services (cache, model, S3 endpoint, the whole flow);
they need the `bench` extra."""
