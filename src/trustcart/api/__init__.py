"""HTTP shells (FastAPI). They parse, call a service, and render; no business rules live here."""
