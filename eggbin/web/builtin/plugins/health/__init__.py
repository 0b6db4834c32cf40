"""The health plugin: liveness and readiness probes for load balancers, Docker and Kubernetes.

    GET /livez    200 while the worker's event loop answers
    GET /readyz   503 `starting` until `egg-ready`, 200 `ready`, 503 `stopping` once a graceful stop began

Both are answered before the context, the middleware and the router (see `Application.add_probe`), so
no app code runs and nothing is logged per probe. `config.health.drain_delay` seconds pass between the
stop signal and the socket's close (the master waits; readiness already answers 503), as a Kubernetes
preStop hook would, so a load balancer stops sending before connections are refused.
"""

EGG_PLUGIN = {"name": "health"}
