"""Bridges: the kit's lesson flows rebuilt in the frameworks learners graduate to (optional extras).

    pip install "orchestration-kit[frameworks]"     # LangGraph
    >>> from orchestration_kit.bridges.langgraph_flow import real_time_graph

See docs/frameworks.md for the map from the kit's patterns to the frameworks' names.
"""
