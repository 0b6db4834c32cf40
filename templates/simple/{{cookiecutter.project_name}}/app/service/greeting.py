from eggbin import Service


class GreetingService(Service):
    """Business logic lives in services: `ctx.service.greeting`."""

    async def hello(self, name):
        greeting = self.config["greeting"]
        return f"{greeting}, {name}"
