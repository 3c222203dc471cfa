"""The terminal: what the person sees (live countdown or plain lines) and what they type."""
