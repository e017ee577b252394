"""The physics: small pure formulas, each with its equation and source.

Every function is plain arithmetic, so it runs on floats, NumPy arrays and
pint Quantities alike (``tests/test_physics.py`` runs each on Quantities and
checks the dimension of the result). Solvers call these with floats in SI
units on the hot path and wrap the results in Quantities at the boundary.
"""
