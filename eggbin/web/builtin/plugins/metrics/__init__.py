"""The metrics plugin: a Prometheus endpoint summing every worker of the cluster (off by default).

    # config/plugin.py                     # config/default.py (optional)
    plugins = {"metrics": True}            config = {"metrics": {"path": "/metrics", "allow": ["10.0.0.0/8"]}}

    GET /metrics   eggbin_http_requests_total{method, route, status}
                   eggbin_http_request_duration_seconds{method, route, status} (histogram)
                   eggbin_http_requests_in_flight, eggbin_event_loop_lag_seconds (worst live worker),
                   eggbin_worker_restarts{worker} (the master's respawns of each worker slot)

`route` is the matched route's path as written (`/user/:id`), never the request's path: an unknown
path is the one label `<unmatched>`, so a scan of random URLs cannot grow the series without bound.
In a cluster each worker writes to `run/metrics/` (prometheus_client's multiprocess mode, the master
wipes it at start and retires dead workers' gauges), and a scrape of any worker sums them all.

The endpoint is answered before the context, the middleware and the router (a probe, like health's),
and only to peers in `config.metrics.allow` (loopback by default) that came without a forwarding
header: behind a proxy every request comes from the proxy's address, so the header tells them apart.
With the plugin off nothing of this is imported and no request pays for it.
"""

EGG_PLUGIN = {"name": "metrics"}
