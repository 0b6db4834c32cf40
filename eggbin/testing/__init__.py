"""The pytest plugin (egg-mock's role): fixtures that boot the real app."""
