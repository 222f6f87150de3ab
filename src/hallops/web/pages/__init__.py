"""The hall's screens, one module each; every view is a thin layer over the hall's services and selectors."""
