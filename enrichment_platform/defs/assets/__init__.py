"""The three assets of the flow (raw, augmented, exported) and what they share around the per-file loop."""
