"""`deploy/kubernetes.yaml` of a generated app: valid against Kubernetes' schemas (offline), and agreeing
with the app's config, its Dockerfile and eggbin's stop sequence."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate.utils import validate

from eggbin.cluster.options import ClusterOptions
from eggbin.daemon.cpus import usable_cpus
from eggbin.scaffold import ScaffoldRequest, scaffold
from eggbin.web.appinfo import load_app_info
from eggbin.web.env import ServerEnv
from eggbin.web.preview import preview

# the oldest with the preStop `sleep` action on by default (beta), and the newest the validator knows
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scaffold(ScaffoldRequest(target=tmp_path_factory.mktemp("k8s") / "My_Shop.app", author="Ada")).path


def manifests(project: Path) -> dict[str, dict[str, Any]]:
    docs = list(yaml.safe_load_all((project / "deploy" / "kubernetes.yaml").read_text()))
    return {doc["kind"]: doc for doc in docs}


def container(project: Path) -> dict[str, Any]:
    return dict(manifests(project)["Deployment"]["spec"]["template"]["spec"]["containers"][0])


def prod_config(project: Path) -> dict[str, Any]:
    return preview(load_app_info(project, ServerEnv("prod", "test"))).config


def dockerfile(project: Path) -> str:
    return (project / "Dockerfile").read_text()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_resource_is_valid_against_the_kubernetes_schemas(project: Path, version: str) -> None:
    found = manifests(project)
    assert set(found) == {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    for doc in found.values():
        validate(doc, version, strict=True)  # raises on any unknown or ill-typed field


def test_names_are_dns_labels_derived_from_the_project_name(project: Path) -> None:
    for doc in manifests(project).values():
        assert doc["metadata"]["name"] == "my-shop-app"
    assert container(project)["image"] == "my-shop-app:0.1.0"


def test_probes_use_the_health_plugins_paths_on_the_served_port(project: Path) -> None:
    health = prod_config(project)["health"]
    app = container(project)
    assert app["livenessProbe"]["httpGet"] == {"path": health["liveness_path"], "port": "http"}
    assert app["startupProbe"]["httpGet"] == {"path": health["liveness_path"], "port": "http"}
    assert app["readinessProbe"]["httpGet"] == {"path": health["readiness_path"], "port": "http"}
    (port,) = app["ports"]
    assert port["name"] == "http"
    cmd = re.search(r"^CMD \[(.*)\]$", dockerfile(project), re.M)
    assert cmd is not None
    assert f'"--port", "{port["containerPort"]}"' in cmd[1]
    assert f"EXPOSE {port['containerPort']}\n" in dockerfile(project)
    healthcheck = f"127.0.0.1:{port['containerPort']}{health['readiness_path']}"
    assert healthcheck in dockerfile(project)
    assert "--workers" not in cmd[1]  # the worker count follows the CPU limit
    service = manifests(project)["Service"]["spec"]
    assert service["ports"][0]["targetPort"] == "http"
    assert service["selector"] == manifests(project)["Deployment"]["spec"]["selector"]["matchLabels"]


def test_the_grace_period_covers_prestop_drain_and_close_timeouts(project: Path) -> None:
    drain = prod_config(project)["health"]["drain_delay"]
    assert drain > 0
    app = container(project)
    pre_stop = app["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop == drain  # the preStop matches the drain delay
    env = {item["name"]: item["value"] for item in app.get("env", [])}
    timeouts = ClusterOptions(base_dir=".", port=0).with_env_overrides(env)  # EGG_*_CLOSE_TIMEOUT if set
    needed = pre_stop + drain + timeouts.app_close_timeout + timeouts.agent_close_timeout
    grace = manifests(project)["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > needed, (grace, needed)


def test_the_pod_runs_as_the_images_non_root_user(project: Path) -> None:
    pod = manifests(project)["Deployment"]["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile(project), re.M)
    assert user is not None
    assert (pod["runAsUser"], pod["runAsGroup"]) == (int(user[1]), int(user[2]))
    assert int(user[1]) != 0
    assert container(project)["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_worker_count_follows_the_cpu_limit(project: Path, tmp_path: Path) -> None:
    resources = container(project)["resources"]
    assert resources["requests"]["cpu"] == resources["limits"]["cpu"]  # the HPA's % is of the workers
    limit = float(resources["limits"]["cpu"])
    cpu_max = tmp_path / "cpu.max"  # what the kubelet writes for that limit (cgroup v2, 100 ms period)
    cpu_max.write_text(f"{int(limit * 100_000)} 100000\n")
    no_v1 = (tmp_path / "no-quota", tmp_path / "no-period")
    assert usable_cpus(v2=cpu_max, v1=no_v1) == min(math.ceil(limit), len(os.sched_getaffinity(0)))


def test_the_pdb_and_the_autoscaler_keep_a_replica_up(project: Path) -> None:
    found = manifests(project)
    replicas = found["Deployment"]["spec"]["replicas"]
    assert found["PodDisruptionBudget"]["spec"]["minAvailable"] < replicas
    hpa = found["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == found["Deployment"]["metadata"]["name"]
    assert hpa["minReplicas"] == replicas
    assert found["Deployment"]["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
