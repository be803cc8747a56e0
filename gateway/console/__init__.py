"""`gateway console`: the admin web app, rendered on the server (issue 7)."""

DEFAULT_PORT = 8470  # here, not in server.py, so the command line reads it without Flask
