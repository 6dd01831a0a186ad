"""The independent evaluation titles, installed as enrichment_platform.seniority.evaluation_files."""
