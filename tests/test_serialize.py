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


def pyyaml(data, header="", flow_keys=frozenset()):
    return (header + yaml.dump(_flowing(data, flow_keys), Dumper=_FlowDumper, **serialize._OPTIONS)).encode()


class _Flow(dict):
    """A mapping PyYAML is to write in flow style (what yaml_bytes' ``flow_keys`` ask for)."""


class _FlowDumper(serialize._Dumper):
    pass


_FlowDumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _flowing(data, keys):
    if not keys:
        return data
    if isinstance(data, list):
        return [_flowing(item, keys) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        scalars = isinstance(value, dict) and not any(isinstance(v, (dict, list, tuple)) for v in value.values())
        out[key] = _Flow(value) if key in keys and scalars else _flowing(value, keys)
    return out


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


LABEL_SETS = [AWKWARD[0], AWKWARD[3], {f"k{i}": text for i, text in enumerate(AWKWARD[4])}, {"n": 1.5, "e": {}}]


@pytest.mark.parametrize("labels", LABEL_SETS)
def test_flow_mappings_are_written_as_pyyaml_writes_them_and_read_back_the_same(labels):
    document = {"tests": [{"exp_labels": labels, "other": {"a": "b"}}]}
    written = serialize.yaml_bytes(document, flow_keys=frozenset({"exp_labels"}))
    assert written == pyyaml(document, flow_keys=frozenset({"exp_labels"}))
    assert yaml.safe_load(written) == document
    if "text" not in labels and "e" not in labels:  # a multi-line value, a nested mapping: not on one line
        assert written.decode().count("\n") == 4  # tests, - exp_labels on one line, other, a


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

    def recording(data, header="", **options):
        documents.append((data, header, options))
        return real(data, header, **options)

    monkeypatch.setattr(pipeline, "yaml_bytes", recording)
    pipeline.render_all(pipeline.load())
    assert len(documents) >= 4  # rules, tests, alertmanager, routing tests, provisioning
    assert any(options.get("flow_keys") for _, _, options in documents)  # the promtool tests' labels
    for data, header, options in documents:
        assert real(data, header, **options) == pyyaml(data, header, **options)


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
