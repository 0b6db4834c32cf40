from eggbin import Controller


class HomeController(Controller):
    async def index(self):
        self.ctx.body = "hi, egg"
