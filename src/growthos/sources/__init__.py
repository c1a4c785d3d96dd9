"""Sources: connectors, the demo generator and the collector; all produce RawRecords."""
