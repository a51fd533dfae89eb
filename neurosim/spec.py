"""Networks from a TOML spec, in one of two forms.

Ready topology (``neurosim.topologies``)::

    [topology]
    name = "chain"
    layers = 2
    n = 100
    input_dim = 784
    n_classes = 10

Explicit declaration (the :class:`~neurosim.network.Network` calls)::

    [network]        seed, lam_x, lam_y
    [[population]]   name, size, j_d, a_in, a_back, a_out
    [[projection]]   post, pre, pattern, rho, weight (a number), scale, learnable, blocks, name
    [[chain]]        left, right, lam_l, lam_r            (fixed couplings, Eq. 2)
    [input]          dim, rho                             (W_in)
    [output]         classes                              (W_back and W_out)

Unknown tables or keys are errors naming the key and the table.
"""
import os
from pathlib import Path

import numpy as np

try:
    import tomllib                   # Python 3.11+
except ModuleNotFoundError:          # Python 3.10: the same parser, as a package
    import tomli as tomllib

from .network import Network

# table -> (required keys, {optional key: default})
TABLES = {
    "network": ((), {"seed": 0, "lam_x": 1.0, "lam_y": 0.0}),
    "population": (("name", "size"), {"j_d": 0.0, "a_in": True, "a_back": True, "a_out": True}),
    "projection": (("post", "pre"), {"pattern": "random", "rho": None, "weight": None, "scale": None,
                                     "learnable": True, "blocks": None, "name": None}),
    "chain": (("left", "right"), {"lam_l": 1.0, "lam_r": 1.0}),
    "input": (("dim",), {"rho": 0.1}),
    "output": (("classes",), {}),
}


def network_from_toml(path_or_text):
    """A Network from a TOML file (a path) or TOML text (see the module docstring)."""
    doc = tomllib.loads(_read(path_or_text))
    unknown = sorted(set(doc) - set(TABLES) - {"topology"})
    if unknown:
        raise ValueError(f"unknown table {unknown[0]!r} at the top level of the spec "
                         f"(known: topology, {', '.join(TABLES)})")
    if "topology" in doc:
        if len(doc) > 1:
            raise ValueError(f"a spec with [topology] takes no other table, got {sorted(set(doc) - {'topology'})}")
        return _from_topology(doc["topology"])
    return _from_declaration(doc)


def _read(path_or_text):
    """The TOML text: the file's contents when given a path, else the text itself."""
    if isinstance(path_or_text, Path):
        return path_or_text.read_text()
    if not isinstance(path_or_text, str):
        raise ValueError(f"path_or_text must be a path or TOML text, got {type(path_or_text).__name__}")
    looks_like_path = "\n" not in path_or_text and path_or_text.strip().endswith(".toml")
    if looks_like_path or os.path.isfile(path_or_text):
        return Path(path_or_text).read_text()
    return path_or_text


def _from_topology(table):
    """``[topology] name = ...`` plus the topology's parameters."""
    from neurosim.topologies import TOPOLOGIES, build, parameters
    if not isinstance(table, dict) or "name" not in table:
        raise ValueError("table [topology] needs a key 'name' (one of: " + ", ".join(sorted(TOPOLOGIES)) + ")")
    params = dict(table)
    name = params.pop("name")
    if name not in TOPOLOGIES:
        return build(name)
    _check_keys("[topology]", params, (), parameters(name))
    return build(name, **params)


def _from_declaration(doc):
    """``[network]``, ``[[population]]``, ``[[projection]]``, ``[[chain]]``,
    ``[input]``, ``[output]`` applied in that order."""
    if "population" not in doc:
        raise ValueError("spec needs a [topology] table or at least one [[population]]")
    net = Network(**_entry(doc, "network"))
    for pop in _entries(doc, "population"):
        net.add_population(pop["name"], pop["size"], pop["j_d"], pop["a_in"], pop["a_back"], pop["a_out"])
    for proj in _entries(doc, "projection"):
        pattern = np.asarray(proj["pattern"]) if isinstance(proj["pattern"], list) else proj["pattern"]
        net.connect(proj["post"], proj["pre"], pattern, rho=proj["rho"], weights=_scalar("weight", proj["weight"]),
                    scale=proj["scale"], learnable=proj["learnable"], blocks=proj["blocks"], name=proj["name"])
    for link in _entries(doc, "chain"):
        net.couple_chain(link["left"], link["right"], link["lam_l"], link["lam_r"])
    if "input" in doc:
        inp = _entry(doc, "input")
        net.set_input(inp["dim"], rho=inp["rho"])
    if "output" in doc:
        classes = _entry(doc, "output")["classes"]
        net.set_back(classes)
        net.set_output(classes)
    return net


def _entry(doc, table):
    """The single table ``[table]`` with defaults filled in."""
    value = doc.get(table, {})
    if not isinstance(value, dict):
        raise ValueError(f"[{table}] must be a table (write [{table}], not [[{table}]] or a value)")
    return _check_keys(f"[{table}]", value, *TABLES[table])


def _entries(doc, table):
    """Every ``[[table]]`` entry with defaults filled in."""
    value = doc.get(table, [])
    if not isinstance(value, list):
        raise ValueError(f"[[{table}]] must be an array of tables (write [[{table}]])")
    required, optional = TABLES[table]
    return [_check_keys(f"[[{table}]] #{k + 1}", entry, required, optional) for k, entry in enumerate(value)]


def _check_keys(table, entry, required, optional):
    """``table`` is the label used in errors ("[input]", "[[population]] #2").
    Reject unknown keys, require ``required``, fill defaults from ``optional``
    (a dict) or accept any of ``optional`` (a list)."""
    known = list(required) + list(optional)
    unknown = sorted(set(entry) - set(known))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in table {table} (known: {', '.join(known)})")
    missing = [k for k in required if k not in entry]
    if missing:
        raise ValueError(f"table {table} needs the key {missing[0]!r}")
    defaults = optional if isinstance(optional, dict) else {}
    return {**defaults, **entry}


def _scalar(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{name} must be a number (the value of every coupling), got {value!r}")
    return value
