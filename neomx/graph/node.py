"""Graph nodes: one operator call (or a variable) and the entries it reads.

An entry is ``(node, index)``: output ``index`` of ``node``. A variable node has no operator
and one output. ``attrs`` are the node's string attributes as symbol JSON stores them (the
parameters as given, plus user attributes such as ``__ctx_group__``); ``p`` is the parsed
parameters the operator runs with. ``subgraphs`` holds the Symbols a control-flow node
(``_foreach``, ``_while_loop``, ``_cond``) runs; symbol JSON stores them under "subgraphs".
"""

from __future__ import annotations

__all__ = ["Node", "topo_order", "variables", "auxiliary_entries"]


class Node:
    __slots__ = ("op", "name", "attrs", "p", "inputs", "subgraphs", "__weakref__")

    def __init__(self, op, name, attrs=None, p=None, inputs=(), subgraphs=()):
        self.op = op
        self.name = name
        self.attrs = dict(attrs or {})
        self.p = p
        self.inputs = list(inputs)
        self.subgraphs = list(subgraphs)

    @property
    def is_variable(self) -> bool:
        return self.op is None

    def num_outputs(self) -> int:
        return 1 if self.op is None else self.op.num_outputs(self.p)

    def num_visible_outputs(self) -> int:
        return 1 if self.op is None else self.op.num_visible_outputs(self.p)

    def output_name(self, index: int) -> str:
        """``list_outputs`` name of output ``index``: ``fc1_output``, or a variable's name."""
        if self.op is None:
            return self.name
        return f"{self.name}_{self.op.output_names(self.p)[index]}"

    def input_names(self) -> tuple[str, ...]:
        """The operator's names for this node's inputs (``data``, ``weight``...)."""
        if self.op is None:
            return ()
        names = tuple(self.op.arguments(self.p))
        if len(names) < len(self.inputs) or (self.op.variadic and len(names) != len(self.inputs)):
            return tuple(f"arg{i}" for i in range(len(self.inputs)))
        return names

    def auxiliary_positions(self) -> tuple[int, ...]:
        """Positions of the inputs that are auxiliary states (BatchNorm's moving stats)."""
        if self.op is None:
            return ()
        aux = getattr(self.op, "auxiliary", ())
        # As in MXNet (nnvm), the inputs an operator writes in place (an optimizer's ``mom``)
        # are auxiliary states too.
        mutated = self.op.mutated_inputs(self.p) if self.op.mutates else ()
        if not aux and not mutated:
            return ()
        undeclared = self.op.undeclared_writes
        return tuple(
            i
            for i, name in enumerate(self.input_names())
            if name in aux or (i in mutated and i < len(self.inputs) and name not in undeclared)
        )

    def __repr__(self) -> str:
        kind = "Variable" if self.op is None else self.op.name
        return f"<Node {kind} {self.name}>"


def topo_order(entries) -> list[Node]:
    """Every node the entries depend on, inputs before users, in MXNet's order: a depth-first
    walk from the outputs visiting each node's inputs in order (this fixes the order of
    ``list_arguments``). Iterative, so deep graphs do not hit the recursion limit."""
    order: list[Node] = []
    seen: set[int] = set()
    for head, _ in entries:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, next_input = stack[-1]
            if next_input < len(node.inputs):
                stack[-1] = (node, next_input + 1)
                child = node.inputs[next_input][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def auxiliary_entries(nodes) -> set[int]:
    """ids of the variable nodes that feed an auxiliary-state input."""
    aux: set[int] = set()
    for node in nodes:
        for position in node.auxiliary_positions():
            source = node.inputs[position][0]
            if source.op is None:
                aux.add(id(source))
    return aux


def variables(nodes):
    """The variable nodes among ``nodes``, split into (arguments, auxiliary states)."""
    aux = auxiliary_entries(nodes)
    args = [n for n in nodes if n.op is None and id(n) not in aux]
    auxs = [n for n in nodes if n.op is None and id(n) in aux]
    return args, auxs
