"""Exports of implicitization results: JSON, Macaulay2, Singular, sympy, LaTeX.

Variable names are those of the parametrization. Macaulay2 does not allow ``_`` in
identifiers, so names of the form ``m_1_2_3`` (a prefix followed by integer indices) are
written as indexed variables ``m_(1,2,3)`` and other names lose their underscores
(the mapping is listed in a comment). Singular accepts the names as given.

Examples
--------
>>> m2_name("m_1_2_3"), m2_name("y1"), m2_name("p_a")
('m_(1,2,3)', 'y1', 'pa')
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["to_json", "to_macaulay2", "to_singular", "to_sympy", "to_latex", "m2_name"]

_INDEXED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)((?:_[0-9]+)+)$")


def m2_name(name: str) -> str:
    """A Macaulay2-safe spelling of a variable name.

    Examples
    --------
    >>> m2_name("y_1")
    'y_1'
    """
    mt = _INDEXED.match(name)
    if mt:
        idx = mt.group(2).strip("_").split("_")
        return f"{mt.group(1)}_{idx[0]}" if len(idx) == 1 else f"{mt.group(1)}_({','.join(idx)})"
    return name.replace("_", "")


def _poly_str(f) -> str:
    return str(f)


def _gens(result) -> list:
    return [g.polynomial for g in result.generators]


def to_json(result, path: str | None = None) -> dict[str, Any]:
    """The result as a JSON-ready dict (and written to ``path`` if given).

    Keys: ``variables``, ``generators`` (sympy syntax), ``generator_degrees``,
    ``generator_multidegrees``, ``dimension``, ``projective_dimension``,
    ``hilbert_function``, ``ideal_dimensions``, ``variety_degree`` (null when not
    determined), ``degree_justification``, ``certificate`` (summary and per generator),
    ``complete``, ``max_degree``, ``seconds``, ``seed``, ``primes``.

    Examples
    --------
    >>> from relugeom.algebra import PolynomialParametrization, implicitize
    >>> d = to_json(implicitize(PolynomialParametrization(["a^2", "a*b", "b^2"]), 2, rng=0))
    >>> d["generators"], d["variety_degree"], d["hilbert_function"]
    (['y1*y3 - y2**2'], 2, {'1': 3, '2': 5})
    """
    gens = [g.sympy_str() for g in result.generators]
    certs = [g.certificate.as_dict() for g in result.generators]
    methods = sorted({c["method"] for c in certs})
    out = {
        "variables": list(result.variables),
        "generators": gens,
        "generator_degrees": [g.degree for g in result.generators],
        "generator_multidegrees": [list(g.multidegree) for g in result.generators],
        "dimension": result.dimension,
        "projective_dimension": result.projective_dimension,
        "homogeneous": result.homogeneous,
        "hilbert_function": {str(k): v for k, v in result.hilbert_function.items()},
        "ideal_dimensions": {str(k): v for k, v in result.ideal_dimensions.items()},
        "variety_degree": result.variety_degree,
        "degree_justification": result.degree_justification,
        "certificate": {
            "all_passed": result.all_certified,
            "methods": methods,
            "max_error_bound": max((c["error_bound"] for c in certs), default=0.0),
            "generators": certs,
            "bases": {str(k): c.as_dict() for k, c in result.basis_certificates.items()},
        },
        "complete": result.complete,
        "max_degree": result.max_degree,
        "seconds": result.seconds,
        "seed": result.seed,
        "primes": list(result.primes),
    }
    if path is not None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return out


def to_macaulay2(result) -> str:
    """Macaulay2 input: the ring and the ideal of the generators, ready to paste.

    Examples
    --------
    >>> from relugeom.algebra import PolynomialParametrization, implicitize
    >>> print(to_macaulay2(implicitize(PolynomialParametrization(["a^2", "a*b", "b^2"]), 2, rng=0)))
    R = QQ[y1, y2, y3];
    I = ideal(y1*y3 - y2^2);
    """
    names = list(result.variables)
    new = [m2_name(n) for n in names]
    lines = []
    if new != names:
        lines.append("-- variables renamed for Macaulay2: " + ", ".join(
            f"{a} -> {b}" for a, b in zip(names, new) if a != b))
    lines.append(f"R = QQ[{', '.join(new)}];")
    gens = [_rename(_poly_str(f), names, new) for f in _gens(result)]
    lines.append(f"I = ideal({', '.join(gens) if gens else '0_R'});")
    return "\n".join(lines)


def to_singular(result) -> str:
    """Singular input: the ring (degrevlex ``dp``) and the ideal, ready to paste.

    Examples
    --------
    >>> from relugeom.algebra import PolynomialParametrization, implicitize
    >>> print(to_singular(implicitize(PolynomialParametrization(["a^2", "a*b", "b^2"]), 2, rng=0)))
    ring R = 0, (y1, y2, y3), dp;
    ideal I = y1*y3 - y2^2;
    """
    gens = [_poly_str(f) for f in _gens(result)]
    return (f"ring R = 0, ({', '.join(result.variables)}), dp;\n"
            f"ideal I = {', '.join(gens) if gens else '0'};")


def to_sympy(result) -> list:
    """The generators as sympy expressions (symbols named as the variables).

    Examples
    --------
    >>> from relugeom.algebra import PolynomialParametrization, implicitize
    >>> to_sympy(implicitize(PolynomialParametrization(["a^2", "a*b", "b^2"]), 2, rng=0))
    [y1*y3 - y2**2]
    """
    import sympy

    out = []
    for g in result.generators:  # built from the polynomials' terms: no string is parsed
        f = g.polynomial
        syms = [sympy.Symbol(n) for n in f.context().names()]
        terms = [sympy.Rational(int(c.p), int(c.q)) * sympy.Mul(*[s ** int(e) for s, e in zip(syms, k) if e])
                 for k, c in f.to_dict().items()]
        out.append(sympy.Add(*terms))
    return out


def to_latex(result) -> str:
    """The generators as a LaTeX ``align*`` block (``m_1_2_3`` written ``m_{1,2,3}``).

    Examples
    --------
    >>> from relugeom.algebra import PolynomialParametrization, implicitize
    >>> print(to_latex(implicitize(PolynomialParametrization(["a^2", "a*b", "b^2"]), 2, rng=0)))
    \\begin{align*}
    & y_{1} y_{3} - y_{2}^{2} = 0
    \\end{align*}
    """
    import sympy

    names = {}
    for n in result.variables:
        mt = _INDEXED.match(n)
        if mt:
            names[sympy.Symbol(n)] = f"{mt.group(1)}_{{{','.join(mt.group(2).strip('_').split('_'))}}}"
        else:
            mt2 = re.match(r"^([A-Za-z]+)([0-9]+)$", n)
            names[sympy.Symbol(n)] = f"{mt2.group(1)}_{{{mt2.group(2)}}}" if mt2 else n
    rows = [f"& {sympy.latex(e, symbol_names=names)} = 0" for e in to_sympy(result)]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _rename(s: str, old: list[str], new: list[str]) -> str:
    if old == new:
        return s
    mapping = dict(zip(old, new))
    pattern = re.compile(r"\b(" + "|".join(re.escape(o) for o in sorted(old, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda mt: mapping[mt.group(1)], s)
