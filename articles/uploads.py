"""Image uploads from the editor (markdownx drag-and-drop): validated, re-encoded, served safely.

markdownx's own upload view trusts the content type the browser claims and stores the bytes
as they came, under the uploaded name's extension; an "image" can then be an SVG or HTML
page that runs script on our origin. Here an upload is accepted only when:

* it is at most ``MARKDOWNX_UPLOAD_MAX_SIZE`` bytes (5 MB), refused before the body is read
  when the request says it is larger;
* Pillow really decodes it as PNG, JPEG, GIF or WebP (its declared type is ignored; SVG is
  not a raster format and never decodes), within pixel and frame limits that stop
  decompression bombs before any pixel is decoded;
* it holds nothing else: no bytes after the image's own end marker and no HTML or script
  markup anywhere (polyglots: files that are an image and a document at once);

and what is stored is not the upload but a re-encoding of its decoded pixels (which also
drops EXIF metadata such as a phone's GPS position), under a random name with the decoded
format's extension. ``serve_upload`` answers with the content type of the format it decodes
from the stored file, ``nosniff``, ``Content-Disposition: inline`` with that random name and
a CSP that allows nothing (``default-src 'none'; sandbox``) should a browser ever render it
as a document.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import secrets
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

logger = logging.getLogger(__name__)

# Pillow format name → (content type, file extension).
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSION_FORMATS = {ext: fmt for fmt, (_ct, ext) in FORMATS.items()}
MAX_PIXELS = 40_000_000  # one frame: 8000 × 5000 is far beyond any screenshot
MAX_SIDE = 20_000
MAX_FRAMES = 300
MAX_TOTAL_PIXELS = 120_000_000  # all frames of an animation together
JPEG_QUALITY = 90
SERVED_NAME = re.compile(r"^(?P<stem>\d{4}/\d{2}/[A-Za-z0-9_-]{16,64})\.(?P<ext>png|jpg|gif|webp)$")

# Markup that makes a file a document as well as an image. Each pattern is long enough that
# compressed pixel data matches it by chance about once in thousands of 5 MB files.
_MARKUP = re.compile(
    rb"<(?:script|html|body|head|iframe|object|embed|style|svg[\s/>]|meta[\s/]|link[\s/]"
    rb"|img[\s/]|\?xml|\?php|!doctype)|javascript:|vbscript:",
    re.IGNORECASE,
)


class UploadRejected(Exception):
    """The upload is not a safe raster image; ``message`` says why in words a person can act on."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CleanImage:
    format: str
    content_type: str
    extension: str
    width: int
    height: int
    frames: int
    data: bytes


@dataclass(frozen=True)
class StoredImage:
    name: str  # storage name, e.g. uploads/2026/11/<random>.png
    url: str
    image: CleanImage


def max_upload_bytes() -> int:
    return int(getattr(settings, "MARKDOWNX_UPLOAD_MAX_SIZE", 5 * 1024 * 1024))


def allowed_content_types() -> frozenset[str]:
    return frozenset(t.lower() for t in getattr(settings, "MARKDOWNX_UPLOAD_CONTENT_TYPES", ()))


def media_prefix() -> str:
    return getattr(settings, "MARKDOWNX_MEDIA_PATH", "uploads/").strip("/") + "/"


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


# --- validation -------------------------------------------------------------------------------


def validate_image(data: bytes, *, declared_content_type: str = "") -> CleanImage:
    """Decode ``data`` and return a re-encoded copy, or raise UploadRejected."""
    limit = max_upload_bytes()
    if not data:
        raise UploadRejected(_("The file is empty."))
    if len(data) > limit:
        raise UploadRejected(_("The image is larger than %(limit)s.") % {"limit": _size_label(limit)},
                             status=413)
    declared = (declared_content_type or "").split(";")[0].strip().lower()
    if declared == "image/svg+xml" or "svg" in declared:
        raise UploadRejected(_("SVG images cannot be uploaded; upload a PNG, JPEG, GIF or WebP image."))
    if _MARKUP.search(data):
        raise UploadRejected(_("The file contains HTML or script, so it is not accepted as an image."))
    image_format = _probe(data)
    content_type = FORMATS[image_format][0]
    if content_type not in allowed_content_types():
        raise UploadRejected(_("%(format)s images cannot be uploaded here.") % {"format": image_format})
    end = _image_end(data, image_format)
    if end is None:
        raise UploadRejected(_("The image file is damaged."))
    if data[end:].strip(b"\x00"):
        raise UploadRejected(_("The file has data after the end of the image (another file "
                               "hidden inside?), so it is not accepted."))
    return _reencode(data, image_format)


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=list(FORMATS))


def _probe(data: bytes) -> str:
    """Read the header only and refuse what is not an allowed format or is too big to decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(data) as image:
                image_format = image.format
                width, height = image.size
                _check_dimensions(width, height)
                frames = getattr(image, "n_frames", 1)
                if frames > MAX_FRAMES or width * height * frames > MAX_TOTAL_PIXELS:
                    raise UploadRejected(_("The animation has too many frames."))
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected(_("The image is too large to process.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise UploadRejected(
            _("This is not a PNG, JPEG, GIF or WebP image (or the file is damaged).")
        ) from None
    if image_format not in FORMATS:
        raise UploadRejected(_("This is not a PNG, JPEG, GIF or WebP image."))
    return image_format


def _check_dimensions(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise UploadRejected(_("The image has no pixels."))
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise UploadRejected(
            _("The image is %(width)d × %(height)d pixels; at most %(mp)d megapixels are accepted.")
            % {"width": width, "height": height, "mp": MAX_PIXELS // 1_000_000}
        )


def _reencode(data: bytes, image_format: str) -> CleanImage:
    """Decode every pixel and write a new file from them: nothing of the upload's bytes survives."""
    content_type, extension = FORMATS[image_format]
    out = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(data) as image:
                frames = getattr(image, "n_frames", 1)
                width, height = image.size
                icc_profile = image.info.get("icc_profile")  # colour data, kept for photos
                if image_format == "JPEG":
                    upright = _bare(ImageOps.exif_transpose(image))
                    if upright.mode not in ("RGB", "L", "CMYK"):
                        upright = upright.convert("RGB")
                    upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, icc_profile=icc_profile)
                    width, height = upright.size
                elif image_format == "PNG":
                    _bare(image).save(out, "PNG", icc_profile=icc_profile)
                elif frames > 1:
                    _save_animation(image, out, image_format)
                else:
                    options = {"quality": JPEG_QUALITY} if image_format == "WEBP" else {}
                    _bare(image).save(out, image_format, **options)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected(_("The image is too large to process.")) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise UploadRejected(_("The image file is damaged.")) from None
    return CleanImage(format=image_format, content_type=content_type, extension=extension,
                      width=width, height=height, frames=frames, data=out.getvalue())


def _bare(image: Image.Image) -> Image.Image:
    """The decoded pixels only: no comment, EXIF, XMP or text the encoder would copy over."""
    image.load()
    copy = image.copy()
    copy.info = {k: image.info[k] for k in ("transparency",) if k in image.info}
    return copy


def _save_animation(image: Image.Image, out: io.BytesIO, image_format: str) -> None:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration", 100) or 100))
        frames.append(_bare(frame))
    options: dict = {"save_all": True, "append_images": frames[1:], "duration": durations,
                     "loop": int(image.info.get("loop", 0) or 0)}
    if image_format == "WEBP":
        options["quality"] = JPEG_QUALITY
    frames[0].save(out, image_format, **options)


# --- where the image itself ends (anything after it is a second file) -------------------------


def _image_end(data: bytes, image_format: str) -> int | None:
    try:
        return {"PNG": _png_end, "GIF": _gif_end, "JPEG": _jpeg_end, "WEBP": _webp_end}[image_format](data)
    except (IndexError, ValueError):
        return None


def _png_end(data: bytes) -> int | None:
    offset = 8
    while offset + 12 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        kind = data[offset + 4:offset + 8]
        offset += 12 + length
        if kind == b"IEND":
            return offset
    return None


def _gif_sub_blocks(data: bytes, offset: int) -> int:
    while True:
        size = data[offset]
        offset += 1
        if size == 0:
            return offset
        offset += size


def _gif_end(data: bytes) -> int | None:
    packed = data[10]
    offset = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    while offset < len(data):
        block = data[offset]
        if block == 0x3B:  # trailer
            return offset + 1
        if block == 0x21:  # extension: label, then data sub-blocks
            offset = _gif_sub_blocks(data, offset + 2)
        elif block == 0x2C:  # image descriptor, local colour table, LZW code size, data
            packed = data[offset + 9]
            offset += 10 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0) + 1
            offset = _gif_sub_blocks(data, offset)
        else:
            return None
    return len(data)  # no trailer: a truncated GIF, nothing after it


def _jpeg_end(data: bytes) -> int | None:
    if data[:2] != b"\xff\xd8":
        return None
    offset = 2
    while offset < len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker == 0xD9:  # end of image
            return offset + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            offset += 2
            continue
        length = int.from_bytes(data[offset + 2:offset + 4], "big")
        offset += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            while True:
                found = data.find(b"\xff", offset)
                if found < 0 or found + 1 >= len(data):
                    return len(data)
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    offset = found + 1
                    continue
                offset = found
                break
    return len(data)


def _webp_end(data: bytes) -> int | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    size = int.from_bytes(data[4:8], "little")
    return 8 + size + (size & 1)


# --- storage ----------------------------------------------------------------------------------


def store_image(*, data: bytes, declared_content_type: str = "", now: dt.datetime | None = None) -> StoredImage:
    """Validate and store an upload under a random name; the URL is served by ``serve_upload``."""
    clean = validate_image(data, declared_content_type=declared_content_type)
    now = now or dt.datetime.now(dt.UTC)
    stem = f"{now:%Y/%m}/{secrets.token_urlsafe(18)}"
    relative = f"{stem}.{clean.extension}"
    name = default_storage.save(media_prefix() + relative, ContentFile(clean.data))
    if name != media_prefix() + relative:  # storage renamed it: the URL must follow the name
        relative = name[len(media_prefix()):]
    return StoredImage(name=name, url=reverse("uploaded_image", args=[relative]), image=clean)


# --- views ------------------------------------------------------------------------------------


def _error(message: str, status: int) -> JsonResponse:
    # markdownx's editor parses every answer as JSON; an error without image_code is shown
    # as its upload-failed marker and logged on the console.
    return JsonResponse({"image": [message]}, status=status)


@login_required
@require_POST
def upload_image(request: HttpRequest) -> HttpResponse:
    """markdownx's image upload endpoint (drag-and-drop or paste into the editor)."""
    limit = max_upload_bytes()
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > limit + 256 * 1024:  # refuse before reading the body
        return _error(_("The image is larger than %(limit)s.") % {"limit": _size_label(limit)}, 413)
    upload = request.FILES.get("image")
    if upload is None:
        return _error(_("No image was uploaded."), 400)
    if upload.size > limit:
        return _error(_("The image is larger than %(limit)s.") % {"limit": _size_label(limit)}, 413)
    try:
        stored = store_image(data=upload.read(limit + 1), declared_content_type=upload.content_type or "")
    except UploadRejected as rejected:
        return _error(rejected.message, rejected.status)
    except OSError:
        logger.exception("could not store an uploaded image")
        return _error(_("The image could not be stored just now; please try again."), 503)
    return JsonResponse({"image_code": f"![]({stored.url})"})


@require_safe
def serve_upload(request: HttpRequest, name: str) -> HttpResponse:
    """An uploaded image, typed by the format decoded from the stored file itself."""
    match = SERVED_NAME.match(name)
    if not match:
        raise Http404
    path = media_prefix() + name
    try:
        handle = default_storage.open(path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    try:
        with Image.open(handle, formats=list(FORMATS)) as image:
            image_format = image.format
    except Exception:
        handle.close()
        raise Http404 from None
    if image_format not in FORMATS or FORMATS[image_format][1] != match["ext"]:
        handle.close()
        raise Http404
    handle.seek(0)
    content_type, extension = FORMATS[image_format]
    response = FileResponse(handle, content_type=content_type)
    file_name = f"{match['stem'].rsplit('/', 1)[-1]}.{extension}"
    response["Content-Disposition"] = f'inline; filename="{file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
