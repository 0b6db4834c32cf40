"""eggbin's middleware: each file defines `def <name>(options, app)` or an ASGI middleware class."""
