"""Server-rendered pages, served by the same app."""
