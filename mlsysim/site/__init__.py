"""The site compiler: Zoo registries -> lineage gates -> Markdown -> MkDocs Material site."""
