"""The Zoo: provenance-tracked registry data and its loader."""
