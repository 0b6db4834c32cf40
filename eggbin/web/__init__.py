"""The runtime the agent and workers load: egg's conventions on starlette, served by uvicorn."""
