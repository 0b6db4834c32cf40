"""Controller tests: `http` is a client bound to the real app, booted once in the unittest env."""


def test_home(http):
    response = http.get("/")
    assert response.status_code == 200
    assert response.text == "hi, egg"


def test_hello(http):
    response = http.get("/hello/egg")
    assert response.status_code == 200
    assert response.json() == {"message": "hello, egg"}


def test_public_files_are_served(http):
    response = http.get("/public/robots.txt")
    assert response.status_code == 200
    assert "User-agent" in response.text
