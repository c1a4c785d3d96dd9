"""The HTTP server: a JSON API under /api and server-rendered pages, both thin over the services."""
