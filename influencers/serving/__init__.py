"""Serving the API: gunicorn's configuration and a worker that reads requests whole before a thread takes them."""
