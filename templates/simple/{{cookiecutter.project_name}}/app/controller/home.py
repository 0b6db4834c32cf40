from eggbin import Controller


class HomeController(Controller):
    async def index(self):
        self.ctx.body = "hi, egg"

    async def hello(self):
        # services are created lazily, once per request: app/service/greeting.py
        self.ctx.body = {"message": await self.service.greeting.hello(self.ctx.params["name"])}
