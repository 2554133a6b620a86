"""Glue for the policy search engine: settings and the command line."""
