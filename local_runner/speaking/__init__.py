"""Speaking: voices, text-to-speech in a worker process, the speaker, and recordings of whole workouts."""
