"""Service tests: `ctx` is an anonymous context of the real app; `mock` is restored after each test."""


async def test_hello(ctx):
    assert await ctx.service.greeting.hello("egg") == "hello, egg"


def test_hello_mocked(http, mock):
    mock.service("greeting", "hello", "mocked")
    assert http.get("/hello/egg").json() == {"message": "mocked"}
