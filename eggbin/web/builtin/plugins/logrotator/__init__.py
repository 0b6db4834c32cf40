"""logrotator (egg-logrotator): the agent rotates log files by day, hour or size, every process reopens."""

EGG_PLUGIN = {"name": "logrotator"}
