"""What to send to whom (issue 3)."""
