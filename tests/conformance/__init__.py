"""One conformance suite for every provider adapter against its sandbox (issue 3)."""
