"""serialize.yaml_bytes builds YAML nodes itself for speed; it must write exactly what PyYAML writes.

A difference here would change generated files (and so fail `make check`) for no reason in the
definitions, so every generated YAML document and a set of awkward values are compared with
``yaml.dump(..., Dumper=CSafeDumper)`` as configured.
"""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.pipeline import serialize
from monitoring.render import estate as pipeline


def pyyaml(data, header=""):
    return (header + yaml.dump(data, Dumper=serialize._Dumper, **serialize._OPTIONS)).encode()


AWKWARD = [
    {"yes": "no", "null": None, "on": "off", "true": True, "1.0": "1.0", "": "", "~": "~", "0x1F": "0o17"},
    {"floats": [0.0, -0.0, 1e17, 1.5e-9, 123456789012.0, math.inf, -math.inf, math.nan, 0.1 + 0.2]},
    {"ints": [0, -1, 2**70], "bools": [True, False], "nested": {"b": [{"z": 1, "a": [[], {}]}], "a": ()}},
    {
        "text": "line one\nline two\n",
        "colon": "a: b",
        "hash": "# not a comment",
        "quote": 'it\'s "x"',
        "leading space": " x",
        "unicode": "débit → 70 % — ok",
        "tab": "a\tb",
        "template": "{{ $value }}",
        "selector": 'ab_test_requests_total{model_name="baseline",status="success"}',
        "values": "0+1x10 _x3",
    },
    ["a", "- b", "? c", "*d", "&e", "!f", "%g", "@h", "`i", "|j", ">k", "[l]", "{m}"],
]


@pytest.mark.parametrize("data", AWKWARD)
def test_awkward_values_are_written_as_pyyaml_writes_them(data):
    assert serialize.yaml_bytes(data, "# h\n") == pyyaml(data, "# h\n")


def test_shared_containers_and_other_types_fall_back_to_pyyaml():
    shared = {"k": "v"}
    data = {"a": shared, "b": shared}
    assert b"&id001" in serialize.yaml_bytes(data)  # PyYAML's anchor and alias, as before
    assert serialize.yaml_bytes(data) == pyyaml(data)
    with pytest.raises(yaml.representer.RepresenterError):
        serialize.yaml_bytes({"x": object()})


def test_every_generated_yaml_document_matches_pyyaml(monkeypatch):
    documents = []
    real = serialize.yaml_bytes

    def recording(data, header=""):
        documents.append((data, header))
        return real(data, header)

    monkeypatch.setattr(pipeline, "yaml_bytes", recording)
    pipeline.render_all(pipeline.load())
    assert len(documents) >= 4  # rules, tests, alertmanager, routing tests, provisioning
    for data, header in documents:
        assert real(data, header) == pyyaml(data, header)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_random_documents_match_pyyaml(data):
    assert serialize.yaml_bytes(data) == pyyaml(data)


def test_the_dumper_has_no_path_resolvers_to_track():
    # _FastDumper replaces descend/ascend_resolver with no-ops: only right while there are none.
    assert not serialize._FastDumper.yaml_path_resolvers and not serialize._Dumper.yaml_path_resolvers


def test_the_emitter_internals_the_serializer_relies_on_are_still_there():
    """serialize.py drives PyYAML's emitter directly (pyproject pins PyYAML<7). If this fails after a PyYAML
    upgrade, yaml_bytes may write different bytes: fall back to yaml.dump in serialize.py, or adapt it."""
    import yaml

    assert int(yaml.__version__.split(".")[0]) == 6, f"PyYAML {yaml.__version__}: check serialize.py"
    dumper = serialize._Dumper
    for name in ("open", "serialize", "close", "dispose", "resolve", "descend_resolver", "ascend_resolver"):
        assert callable(getattr(dumper, name, None)), f"{dumper.__name__}.{name} is gone: check serialize.py"
    for name in ("ScalarNode", "MappingNode", "SequenceNode"):
        assert hasattr(yaml.nodes, name)
    node = yaml.nodes.ScalarNode("tag:yaml.org,2002:str", "x")
    assert (node.tag, node.value, node.style) == ("tag:yaml.org,2002:str", "x", None)


def test_the_resolver_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(serialize, "PLAIN_CACHE_LIMIT", 10)
    monkeypatch.setattr(serialize._FastDumper, "_plain", {})
    data = {f"key{i}": [f"v{i}", "1.5", "true", "null"] for i in range(50)}
    assert serialize.yaml_bytes(data) == pyyaml(data)
    assert len(serialize._FastDumper._plain) <= 10
