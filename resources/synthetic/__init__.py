"""Vocabulary of the synthetic postings (demo and benchmarks), installed as enrichment_platform.devstack.synthetic_files."""
