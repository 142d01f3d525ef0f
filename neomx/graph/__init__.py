"""The dataflow graph shared by Symbol and its executor: nodes, traversal, inference, passes."""

from .node import Node, topo_order

__all__ = ["Node", "topo_order"]
