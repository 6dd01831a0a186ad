"""Labeled training titles and the vocabulary they are generated from, installed as
enrichment_platform.seniority.training_files."""
