"""The coach loop: the conversation with the skill, the clock, the player of replies, and the app around them."""
