"""Query side: hybrid ranking, filters, grouping by jurisdiction, highlights, explanations."""
