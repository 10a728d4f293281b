"""The web face: a dashboard, a REST API and a self-contained HTML report over one `Ledger`.

Routes call `web.data` only, which calls the public library; figures are never computed here.
"""
