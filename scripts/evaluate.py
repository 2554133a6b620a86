"""Retrieval-quality evaluation (same as `policy-search evaluate`); see policy_search/evaluate.py."""

from policy_search.evaluate import main

if __name__ == "__main__":
    raise SystemExit(main())
