"""Jinja2 templates of the Zoo site and the appendix tables (presentation only: loops and ifs).

Kept at the top of the repository and installed as the package ``mlsysim.templates``
(see ``package-dir`` in pyproject.toml), so the installed package can render a site.
"""
