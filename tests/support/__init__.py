"""What the tests share: the Alexa test double, request envelopes, moto, the test PKI, simulated people."""
