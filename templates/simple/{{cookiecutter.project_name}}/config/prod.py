"""`eggscripts start` (env `prod`): merged over config/default.py."""

config = {
    "logger": {"level": "INFO"},
    # after SIGTERM: readiness answers 503 and the socket stays open this long, so a load balancer stops
    # sending first (deploy/kubernetes.yaml's preStop sleeps as long, and its grace period covers both)
    "health": {"drain_delay": 5},
    # Behind a reverse proxy, believe its X-Forwarded-* headers, and only from it (README "Security"):
    # "proxy": True,
    # "trusted_proxies": ["127.0.0.1"],
}
