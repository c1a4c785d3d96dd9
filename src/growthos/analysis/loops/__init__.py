"""Growth loops: definitions (definitions.py, parse.py, config.py for loops.yaml, demo.py), executions from the
event stream (executions.py), metrics (metrics.py), bottlenecks (bottlenecks.py), trigger planning (triggers.py)
and the service the API, CLI and page call (service.py). docs/growth/loops.md explains every formula."""
