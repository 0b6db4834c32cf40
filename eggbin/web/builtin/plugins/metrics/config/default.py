"""The metrics plugin's options (`config.metrics`); the plugin is off until `plugins = {"metrics": True}`."""

config = {
    "metrics": {
        "path": "/metrics",
        # who may scrape, by socket peer: addresses, networks, `loopback`, `uniquelocal`, `linklocal`
        "allow": ["loopback"],
        # seconds between two samples of the event loop's lag, and between two writes of a worker's
        # counts for the other workers' scrapes (a worker killed with -9 loses at most that much)
        "interval": 0.5,
        # latency histogram buckets, seconds (prometheus_client's defaults)
        "buckets": [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0],
    },
}
