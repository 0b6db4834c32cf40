"""Controller tests: `http` is a client bound to the real app, booted once in the unittest env."""


def test_home(http):
    response = http.get("/")
    assert response.status_code == 200
    assert response.text == "hi, egg"


def test_hello(http):
    response = http.get("/hello/egg")
    assert response.status_code == 200
    assert response.json() == {"message": "hello, egg"}
