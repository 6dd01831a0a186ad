"""The trained seniority model and its metrics, installed as enrichment_platform.seniority.model_files."""
