"""`ctx.request_id`: the caller's `X-Request-Id`, or a new one."""

import uuid


def _request_id(self):
    if "request_id" not in self.state:
        self.state["request_id"] = self.get("x-request-id") or uuid.uuid4().hex
    return self.state["request_id"]


request_id = property(_request_id)
