"""The seniority cache in Redis: pair keys and bucket layout, the Lua scripts (lua/*.lua), connecting, the
run's in-memory known levels, and operator admin of namespaces. No Dagster here."""
