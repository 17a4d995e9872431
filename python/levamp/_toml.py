"""A small TOML writer for the scenario, network and strategy dicts that
levamp's functions accept: the dict is written as the TOML text the CLI
would read from a file, and that text goes through the CLI's parser.

Supports what those files use: tables, arrays of tables, strings, integers,
floats, booleans, arrays and inline tables. Values that TOML cannot hold
(None, NaN) raise ``TypeError``/``ValueError`` naming the dotted key.
"""

from __future__ import annotations

import json
import math
from typing import Any, List, Mapping


def _key(k: str) -> str:
    if k and all(c.isalnum() or c in "_-" for c in k):
        return k
    return json.dumps(k)


def _value(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError(f"{where}: {v!r} is not a finite number")
        return float.__repr__(v)  # numpy floats too (their repr names the type)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        items = ", ".join(
            f"{_key(k)} = {_value(x, f'{where}.{k}')}" for k, x in v.items()
        )
        return "{ " + items + " }" if items else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, f"{where}[{i}]") for i, x in enumerate(v)) + "]"
    if v is None:
        raise TypeError(f"{where}: None has no TOML form (leave the key out)")
    # Decimal and other numbers: their exact text.
    text = str(v)
    float(text)  # ValueError for anything that is not a number
    return text


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, Mapping) for x in v)


def _table(d: Mapping[str, Any], path: List[str], out: List[str]) -> None:
    plain = [(k, v) for k, v in d.items() if not isinstance(v, Mapping) and not _is_table_array(v)]
    nested = [(k, v) for k, v in d.items() if isinstance(v, Mapping) or _is_table_array(v)]
    where = ".".join(path)
    for k, v in plain:
        out.append(f"{_key(k)} = {_value(v, f'{where}.{k}' if where else k)}")
    for k, v in nested:
        sub = path + [str(k)]
        header = ".".join(_key(p) for p in sub)
        if isinstance(v, Mapping):
            out.append("")
            out.append(f"[{header}]")
            _table(v, sub, out)
        else:
            for item in v:
                out.append("")
                out.append(f"[[{header}]]")
                _table(item, sub, out)


def dumps(d: Mapping[str, Any]) -> str:
    """The TOML text of the dict ``d``."""
    if not isinstance(d, Mapping):
        raise TypeError(f"a TOML document is a dict, not {type(d).__name__}")
    out: List[str] = []
    _table(d, [], out)
    return "\n".join(out).lstrip("\n") + "\n"
