"""Callboard's RingCentral emulator: a standalone ASGI app speaking the RingCentral REST API.

It never imports the Django apps and they never import it; the app talks to it over HTTP only.
See sandbox/README.md.
"""
