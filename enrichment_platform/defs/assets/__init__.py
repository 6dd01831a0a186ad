"""The assets of the flow (raw, augmented, exported, warehouse) and what they share around the file loop."""
