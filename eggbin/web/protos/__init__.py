"""Dependency injection (tegg's protos): declaring, finding, resolving and creating objects."""
