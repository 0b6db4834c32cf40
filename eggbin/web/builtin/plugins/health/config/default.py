"""The health plugin's options (`config.health`); a path of "" turns that probe off."""

config = {
    "health": {
        "liveness_path": "/livez",
        "readiness_path": "/readyz",
        # seconds the cluster keeps serving after a stop signal, readiness answering 503
        "drain_delay": 0,
    },
}
