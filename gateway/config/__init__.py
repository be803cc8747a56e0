"""Configuration: config.yaml, partner files and the mappings folder, read once into typed
objects whose every problem names its file and key."""
