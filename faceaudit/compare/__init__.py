"""Compare stage: decode images, find faces, match them against the user's template."""
