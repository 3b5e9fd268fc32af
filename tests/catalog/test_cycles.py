"""Every dependency cycle is found, and each one reported is real (networkx as the oracle)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.catalog import catalog_from_data
from orchestrator.catalog.graph import find_cycles
from orchestrator.errors import CatalogError
from tests.conftest import service


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 14))
    nodes = [f"n{i}" for i in range(n)]
    edges = draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes)), max_size=3 * n))
    return nodes, sorted({(a, b) for a, b in edges if a != b})


def oracle_components(nodes, edges):
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    return [c for c in nx.strongly_connected_components(graph) if len(c) > 1]


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_one_real_cycle_per_cyclic_component(graph):
    nodes, edges = graph
    adjacency = {node: [b for a, b in edges if a == node] for node in nodes}
    cycles = find_cycles(adjacency)
    components = oracle_components(nodes, edges)
    assert len(cycles) == len(components)
    edge_set = set(edges)
    for cycle in cycles:
        assert cycle[0] == cycle[-1]
        assert all((a, b) in edge_set for a, b in zip(cycle, cycle[1:], strict=False))
        assert any(set(cycle) <= c for c in components)


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_the_catalog_rejects_exactly_the_cyclic_graphs(graph):
    nodes, edges = graph
    data = {"services": [service(node, dependencies=[{"service": b} for a, b in edges if a == node])
                         for node in nodes]}
    components = oracle_components(nodes, edges)
    if not components:
        assert len(catalog_from_data(data).services) == len(nodes)
        return
    with pytest.raises(CatalogError) as caught:
        catalog_from_data(data)
    cycle_lines = [p for p in caught.value.problems if "hard dependency cycle" in p]
    assert len(cycle_lines) == len(components) == len(caught.value.problems)


def test_a_self_dependency_is_its_own_error():
    with pytest.raises(CatalogError) as caught:
        catalog_from_data({"services": [service("a", dependencies=[{"service": "a"}])]})
    assert caught.value.problems == [
        "<data>: service 'a': field 'dependencies[0].service': depends on itself"]
