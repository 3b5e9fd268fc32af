"""Cycle finding over the hard-dependency graph, without a graph library on the start-up path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycles(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected component that has one, each as a closed path.

    ``edges[a]`` lists the nodes ``a`` points to. Every cycle in the graph lies inside one of the
    returned components, so an empty result proves the graph acyclic. Output is deterministic:
    components are found in sorted node order and each path starts at its smallest node.
    """
    if _acyclic(edges):
        return []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    for root in sorted(edges):
        if root in index:
            continue
        # Iterative Tarjan: each frame is (node, iterator over its successors).
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in edges:
                    continue  # unknown node: reported elsewhere as an unknown dependency
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    components.append(component)

    return [_cycle_in(sorted(c), edges) for c in sorted(components, key=min)]


def _acyclic(edges: Mapping[str, Sequence[str]]) -> bool:
    """Kahn's algorithm: True when every node can be ordered (the common case, checked fast)."""
    indegree = dict.fromkeys(edges, 0)
    for targets in edges.values():
        for target in targets:
            if target in indegree:
                indegree[target] += 1
    ready = [node for node, degree in indegree.items() if degree == 0]
    ordered = 0
    while ready:
        node = ready.pop()
        ordered += 1
        for target in edges[node]:
            if target in indegree:
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
    return ordered == len(indegree)


def _cycle_in(component: list[str], edges: Mapping[str, Sequence[str]]) -> list[str]:
    """A closed path through the smallest node of a strongly connected component."""
    members = set(component)
    start = component[0]
    # Breadth-first search back to ``start`` gives the shortest cycle through it.
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, ())):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in parent:
                    parent[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError("a strongly connected component always holds a cycle")
