"""Implicitization of classical models with relugeom.algebra.

1. The independence model of two binary variables, with the sum-to-one condition (an
   inhomogeneous ideal: the degree <= d filtration) — the talks' first example.
2. The twisted cubic (three quadrics, degree 3), exported to Macaulay2 and Singular.
3. The Segre variety of 2x2x2 tensors (nine quadrics, degree 6 from the toric volume).
4. A polynomial network e(ax+by)^3 + f(cx+dy)^3 as a map to binary cubics: no invariants
   (the image is Zariski dense), whereas e(ax+by)^3 alone gives the twisted cubic cone.
5. Reachability: a point off the variety is certified unreachable by a non-zero invariant.

Run:  python examples/invariants_models.py
"""

from fractions import Fraction

import sympy

from relugeom.algebra import (PolynomialParametrization, evaluate_invariants, implicitize,
                              to_macaulay2, to_singular)


def show(title, res):
    print(f"\n== {title}")
    print(res.summary())
    for g in res.generators:
        print(f"   {g}    [{g.certificate.method}]")
    print("   degree:", res.variety_degree, "-", res.degree_justification)


def main() -> None:
    indep = PolynomialParametrization(["a*b", "a*(1-b)", "(1-a)*b", "(1-a)*(1-b)"],
                                      outputs=["p11", "p12", "p21", "p22"])
    show("independence model (sum to one)", implicitize(indep, 2, rng=0))

    cubic = PolynomialParametrization(["s^3", "s^2*t", "s*t^2", "t^3"], params=["s", "t"])
    res = implicitize(cubic, 3, rng=0)
    show("twisted cubic", res)
    print("\nMacaulay2:\n" + to_macaulay2(res))
    print("\nSingular:\n" + to_singular(res))

    segre = PolynomialParametrization([f"a{i}*b{j}*c{k}" for i in range(2) for j in range(2) for k in range(2)])
    show("Segre P1 x P1 x P1", implicitize(segre, 3, rng=0))

    a, b, c, d, e, f, x, y = sympy.symbols("a b c d e f x y")

    def coefficients(expr):
        P = sympy.Poly(sympy.expand(expr), x, y)
        return [P.coeff_monomial(x**3), P.coeff_monomial(x**2 * y), P.coeff_monomial(x * y**2),
                P.coeff_monomial(y**3)]

    two = PolynomialParametrization(coefficients(e * (a * x + b * y) ** 3 + f * (c * x + d * y) ** 3),
                                    params=["a", "b", "c", "d", "e", "f"], outputs=["A", "B", "C", "D"])
    show("e(ax+by)^3 + f(cx+dy)^3", implicitize(two, 4, rng=0))
    one = PolynomialParametrization(coefficients(e * (a * x + b * y) ** 3), params=["a", "b", "e"],
                                    outputs=["A", "B", "C", "D"])
    res1 = implicitize(one, 3, rng=0)
    show("e(ax+by)^3", res1)

    target = [Fraction(1), Fraction(0), Fraction(-1), Fraction(0)]  # x^3 - x y^2
    val = evaluate_invariants(res1, target)
    i = val.first_nonzero
    print(f"\nx^3 - x*y^2 is reachable by e(ax+by)^3? invariant {res1.generators[i]} = {val.values[i]} "
          f"-> {'no (certified)' if i is not None else 'not excluded'}")


if __name__ == "__main__":
    main()
