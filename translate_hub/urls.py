from django.contrib import admin
from django.urls import include, path

from translate_hub.health import healthz
from workflow.views.accounts import markdownify, markdownx_upload

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    # markdownx's endpoints, for signed-in users only (live preview through our renderer).
    path("markdownx/markdownify/", markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", markdownx_upload, name="markdownx_upload"),
    path("", include("articles.urls")),
    path("", include("workflow.urls")),
]
