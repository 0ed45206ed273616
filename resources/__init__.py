"""Icons, the desktop entry and style sheets, loaded with importlib.resources."""
