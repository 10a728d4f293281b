"""The web face (issue 11): dashboard pages, the REST API under /api/v1, the HTML report."""
