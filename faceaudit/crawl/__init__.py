"""Crawl stage: visit the user's own listed accounts, logged out, and list the images they show."""
