"""The PostgreSQL warehouse as a Dagster resource: its URL and schema (WAREHOUSE_URL, WAREHOUSE_SCHEMA)."""

import dagster as dg

from enrichment_platform.warehouse.loader import Warehouse


class PostgresWarehouse(dg.ConfigurableResource):
    """Where the enriched postings are loaded for analysts: a libpq URL (its password, if any, never shown
    in errors) and the schema holding `job_postings` and `quarantined_lines`."""

    url: str
    schema_name: str

    def open(self) -> Warehouse:
        """A loader with its own connections (one per thread); close it when done."""
        return Warehouse(self.url, self.schema_name)
