"""One posting line: parse and validate, normalize, the output template the levels are filled into, and the
quality measures of levels. No Dagster here."""
