"""Server-rendered pages (issue 5). Each view parses input, asks projects.selectors for the user's
scope, calls one service or selector, and renders; the rules live elsewhere."""
