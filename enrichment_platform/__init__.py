"""enrichment_platform: a Dagster platform that adds a seniority level (1-7) to every scraped job posting,
calling the seniority model only for (company, title) pairs it has never seen. `definitions.py` wires it."""
