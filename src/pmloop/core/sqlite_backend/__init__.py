"""pmloop's SQLite database backend: Django's, with a writer queue (see ``base``)."""
