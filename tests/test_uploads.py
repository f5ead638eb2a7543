"""Image uploads through markdownx's endpoint: only real raster images, re-encoded, capped at
5 MB, signed-in only, stored under random names and served with a safe content type."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from articles import uploads
from tests.factories import make_user

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/markdownx/upload/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def client_signed_in(db):
    client = Client()
    client.force_login(make_user("uma", "translator"))
    return client


def image_bytes(fmt: str, size=(40, 30), color=(200, 30, 30), **options) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if fmt != "GIF" else "P"
    Image.new(mode, size, color if mode == "RGB" else 1).save(out, fmt, **options)
    return out.getvalue()


def upload(client, data: bytes, *, name="picture.png", content_type="image/png", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")  # the messages asserted below are the English ones
    return client.post(UPLOAD_URL, {"image": SimpleUploadedFile(name, data, content_type=content_type)},
                       HTTP_X_REQUESTED_WITH="XMLHttpRequest", **extra)


def stored_url(response) -> str:
    code = response.json()["image_code"]
    match = re.fullmatch(r"!\[\]\((/media/uploads/\d{4}/\d{2}/[A-Za-z0-9_-]{20,}\.(png|jpg|gif|webp))\)", code)
    assert match, code
    return match[1]


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


# --- accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "content_type", "ext"), [
    ("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"),
    ("GIF", "image/gif", "gif"), ("WEBP", "image/webp", "webp"),
])
def test_raster_images_are_stored_and_served_safely(client_signed_in, fmt, content_type, ext):
    data = image_bytes(fmt)
    response = upload(client_signed_in, data, name=f"shot.{ext}", content_type=content_type)
    assert response.status_code == 200, response.content
    url = stored_url(response)
    assert url.endswith(f".{ext}")
    served = Client().get(url)  # published articles show their images to everyone
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    file_name = url.rsplit("/", 1)[-1]
    assert served["Content-Disposition"] == f'inline; filename="{file_name}"'
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    body = b"".join(served.streaming_content)
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == fmt and image.size == (40, 30)


def test_names_are_random_and_the_upload_name_is_not_used(client_signed_in):
    data = image_bytes("PNG")
    first = stored_url(upload(client_signed_in, data, name="../../etc/passwd.png"))
    second = stored_url(upload(client_signed_in, data, name="../../etc/passwd.png"))
    assert first != second
    assert "passwd" not in first and ".." not in first


def test_the_decoded_format_decides_not_the_declared_type(client_signed_in):
    response = upload(client_signed_in, image_bytes("JPEG"), name="photo.png", content_type="image/png")
    url = stored_url(response)
    assert url.endswith(".jpg")
    assert Client().get(url)["Content-Type"] == "image/jpeg"


def test_what_is_stored_is_a_re_encoding_without_metadata(client_signed_in, media_root):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}  # GPS position
    image = Image.new("RGB", (40, 30), (10, 120, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"private note")
    original = out.getvalue()
    url = stored_url(upload(client_signed_in, original, name="gps.jpg", content_type="image/jpeg"))
    stored = (media_root / url.removeprefix("/media/")).read_bytes()
    assert stored != original
    assert b"PhoneMaker" not in stored and b"private note" not in stored
    with Image.open(io.BytesIO(stored)) as again:
        assert not again.getexif()


def test_an_animated_gif_keeps_its_frames(client_signed_in):
    frames = [Image.new("RGB", (20, 20), (50 * i, 0, 0)) for i in range(5)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    url = stored_url(upload(client_signed_in, out.getvalue(), name="anim.gif", content_type="image/gif"))
    body = b"".join(Client().get(url).streaming_content)
    with Image.open(io.BytesIO(body)) as image:
        assert image.n_frames == 5


def test_the_returned_markdown_renders_as_an_image_on_our_pages(client_signed_in):
    from articles.rendering import render_markdown

    code = upload(client_signed_in, image_bytes("PNG")).json()["image_code"]
    html = render_markdown(f"Look:\n\n{code}\n")
    assert f'<img src="{stored_url_from_code(code)}"' in html


def stored_url_from_code(code: str) -> str:
    return code[len("![]("):-1]


# --- refused -----------------------------------------------------------------------------------

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.domain)</script><rect width="10" height="10"/></svg>')
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def refused(response, status=400) -> str:
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert "image_code" not in body
    return " ".join(body["image"])


def nothing_stored(media_root) -> bool:
    return not any(p.is_file() for p in media_root.rglob("*")) if media_root.exists() else True


@pytest.mark.parametrize(("name", "content_type"), [
    ("drawing.svg", "image/svg+xml"), ("drawing.png", "image/png"), ("drawing.svg", ""),
])
def test_svg_is_refused_whatever_it_claims(client_signed_in, media_root, name, content_type):
    assert refused(upload(client_signed_in, SVG, name=name, content_type=content_type))
    assert nothing_stored(media_root)


def test_html_disguised_as_png_is_refused(client_signed_in, media_root):
    message = refused(upload(client_signed_in, HTML, name="cat.png", content_type="image/png"))
    assert "script" in message or "HTML" in message
    # with a PNG signature in front it is still no image
    assert refused(upload(client_signed_in, b"\x89PNG\r\n\x1a\n" + HTML, name="cat.png"))
    assert nothing_stored(media_root)


def test_plain_text_and_garbage_are_refused(client_signed_in, media_root):
    assert "not a PNG" in refused(upload(client_signed_in, b"just some text " * 50, name="a.png"))
    assert refused(upload(client_signed_in, image_bytes("PNG")[:60], name="cut.png"))
    assert refused(upload(client_signed_in, b"", name="empty.png"))
    assert nothing_stored(media_root)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_polyglot_with_html_appended_is_refused(client_signed_in, media_root, fmt):
    data = image_bytes(fmt) + b"<html><script>alert(1)</script></html>"
    assert refused(upload(client_signed_in, data, name="poly.png"))
    assert nothing_stored(media_root)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_second_file_hidden_after_the_image_is_refused(client_signed_in, media_root, fmt):
    hidden = b"PK\x03\x04" + bytes(range(256)) * 4  # e.g. a zip archive: no markup at all
    message = refused(upload(client_signed_in, image_bytes(fmt) + hidden, name="poly.png"))
    assert "after the end of the image" in message
    assert nothing_stored(media_root)


def test_gif_javascript_polyglot_is_refused(client_signed_in, media_root):
    # GIF89a/*…*/=alert(1); — an image and a script at once (the logical width is "/*").
    gif = bytearray(image_bytes("GIF", size=(10, 10)))
    gif[6:8] = b"/*"
    data = bytes(gif) + b"*/=alert(document.domain);"
    with Image.open(io.BytesIO(bytes(gif))) as image:
        assert image.format == "GIF"  # still a valid image without the tail
    assert refused(upload(client_signed_in, data, name="poly.gif", content_type="image/gif"))
    assert nothing_stored(media_root)


def test_script_inside_image_metadata_is_refused(client_signed_in, media_root):
    png = image_bytes("PNG")
    text = png_chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>")
    with_text = png[:33] + text + png[33:]  # after the 8-byte signature and the IHDR chunk
    with Image.open(io.BytesIO(with_text)) as image:
        image.load()  # a valid PNG
    assert refused(upload(client_signed_in, with_text, name="meta.png"))
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "JPEG", comment=b'<img src=x onerror="alert(1)">')
    assert refused(upload(client_signed_in, out.getvalue(), name="meta.jpg", content_type="image/jpeg"))
    assert nothing_stored(media_root)


def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit black PNG: a few kilobytes on disk, width × height pixels once decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body)
            + png_chunk(b"IEND", b""))


@pytest.mark.parametrize(("width", "height"), [(20000, 20000), (9000, 9000), (30000, 10)])
def test_decompression_bombs_are_refused_before_decoding(client_signed_in, media_root, width, height):
    data = png_bomb(width, height)
    assert len(data) < 200_000
    message = refused(upload(client_signed_in, data, name="bomb.png"))
    assert "pixels" in message or "too large" in message
    assert nothing_stored(media_root)


def test_a_gif_with_too_many_frames_is_refused(client_signed_in, media_root):
    frames = [Image.new("RGB", (4, 4), (255 * (i % 2),) * 3) for i in range(uploads.MAX_FRAMES + 1)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=10)
    assert "frames" in refused(upload(client_signed_in, out.getvalue(), name="many.gif", content_type="image/gif"))
    assert nothing_stored(media_root)


def test_files_over_5_mb_are_refused(client_signed_in, media_root, settings):
    assert settings.MARKDOWNX_UPLOAD_MAX_SIZE == 5 * 1024 * 1024
    png = image_bytes("PNG")
    padded = png[:33] + png_chunk(b"zzZz", b"\x00" * (5 * 1024 * 1024)) + png[33:]  # a valid PNG
    message = refused(upload(client_signed_in, padded, name="big.png"), status=413)
    assert "5 MB" in message
    assert nothing_stored(media_root)


def test_an_oversized_request_is_refused_before_its_body_is_read(client_signed_in):
    response = client_signed_in.generic(
        "POST", UPLOAD_URL, b"x" * 16, content_type="multipart/form-data; boundary=zz",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest", CONTENT_LENGTH=str(50 * 1024 * 1024), HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert "5 MB" in " ".join(response.json()["image"])


def test_a_post_without_a_file_answers_json(client_signed_in):
    response = client_signed_in.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert response.json()["image"]


def test_sign_in_is_required(media_root):
    response = upload(Client(), image_bytes("PNG"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert nothing_stored(media_root)


def test_only_post_uploads(client_signed_in):
    assert client_signed_in.get(UPLOAD_URL).status_code == 405


# --- serving ------------------------------------------------------------------------------------


def test_a_stored_file_whose_bytes_do_not_match_its_name_is_not_served(media_root):
    name = "2026/01/AAAAAAAAAAAAAAAAAAAAAAAA.png"
    default_storage.save(f"uploads/{name}", io.BytesIO(HTML))
    assert Client().get(reverse("uploaded_image", args=[name])).status_code == 404
    jpeg_as_png = "2026/01/BBBBBBBBBBBBBBBBBBBBBBBB.png"
    default_storage.save(f"uploads/{jpeg_as_png}", io.BytesIO(image_bytes("JPEG")))
    assert Client().get(reverse("uploaded_image", args=[jpeg_as_png])).status_code == 404


@pytest.mark.parametrize("path", [
    "/media/uploads/2026/01/missing-file-name-here.png",
    "/media/uploads/2026/01/../../../settings.py",
    "/media/uploads/2026/01/AAAAAAAAAAAAAAAAAAAAAAAA.svg",
    "/media/uploads/2026/01/AAAAAAAAAAAAAAAAAAAAAAAA.html",
])
def test_unknown_or_crafted_names_are_404(path):
    assert Client().get(path).status_code == 404


def test_validate_image_api():
    clean = uploads.validate_image(image_bytes("PNG"), declared_content_type="image/png")
    assert (clean.format, clean.content_type, clean.extension, clean.width, clean.height) == (
        "PNG", "image/png", "png", 40, 30)
    with pytest.raises(uploads.UploadRejected):
        uploads.validate_image(SVG, declared_content_type="image/svg+xml")
