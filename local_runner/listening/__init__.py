"""Listening: the microphone or a WAV file, the recogniser and its grammar, spoken commands into the inbox."""
