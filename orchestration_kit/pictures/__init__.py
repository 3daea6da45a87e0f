"""Pictures of the core's objects: a trace's timeline (charts.py) and a flow's Mermaid diagram (diagrams.py)."""
