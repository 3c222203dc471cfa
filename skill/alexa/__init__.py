"""The Alexa layer: ask-sdk-core handlers and interceptors over the plain-Python core."""
