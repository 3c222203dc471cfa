"""Understanding what the person typed (or said): offline, from interaction_models/ only."""
