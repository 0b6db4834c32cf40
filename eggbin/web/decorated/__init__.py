"""Decorated HTTP controllers (tegg's HTTPController): declarations, parameters, routes."""
