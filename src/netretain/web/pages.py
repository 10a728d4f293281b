"""Server-rendered pages (placeholder until the dashboard lands)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
