def test_home(http):
    response = http.get("/")
    assert response.status_code == 200
    assert response.text == "hi, egg"
