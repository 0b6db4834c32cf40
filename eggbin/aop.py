"""egg's `egg/aop` entry point: the AOP names (`from eggbin.aop import advice, pointcut, ...`)."""

from __future__ import annotations

from eggbin.web.aop.declare import AdviceContext, PointcutType, advice, crosscut, pointcut
from eggbin.web.decorated.declare import middleware
from eggbin.web.protos.declare import ObjectInitType

__all__ = ["AdviceContext", "ObjectInitType", "PointcutType", "advice", "crosscut", "middleware", "pointcut"]
