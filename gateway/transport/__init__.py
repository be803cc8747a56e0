"""Transports: the only code that talks to partners' folders (SFTP via paramiko, or local)."""
