"""`gateway console`: the admin web app, rendered on the server (issue 7)."""
