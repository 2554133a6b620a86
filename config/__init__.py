"""The product's settings: the lowest layer, read by corpus → index → search → policy_search → api."""
