from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from articles.uploads import serve_upload, upload_image
from translate_hub.health import healthz
from workflow.views.accounts import markdownify

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    # markdownx's endpoints, for signed-in users only (live preview through our renderer).
    path("markdownx/markdownify/", markdownify, name="markdownx_markdownify"),
    # Uploads are validated and re-encoded (articles/uploads.py), never markdownx's own view.
    path("markdownx/upload/", upload_image, name="markdownx_upload"),
    re_path(r"^media/uploads/(?P<name>[0-9]{4}/[0-9]{2}/[A-Za-z0-9_-]+\.[a-z]+)$", serve_upload,
            name="uploaded_image"),
    path("", include("articles.urls")),
    path("", include("workflow.urls")),
]

if settings.BENCH_VIEWS:  # bench/http's yardstick; off unless TRANSLATE_HUB_BENCH_VIEWS=1
    urlpatterns.insert(0, path("", include("translate_hub.bench_views")))
