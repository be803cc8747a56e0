"""`gateway demo`: an embedded SFTP server, sample partners and the whole story (issue 7)."""
