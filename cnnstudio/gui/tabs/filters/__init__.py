"""The Filters tab: what the conv layers learned."""
