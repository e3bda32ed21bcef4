"""Constants of the source formats, shared by the loaders that read them and the writers."""
