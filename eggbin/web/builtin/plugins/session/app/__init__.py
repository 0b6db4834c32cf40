"""The session plugin's app side (a package, so that importing it never finds the boot file `app.py`)."""
