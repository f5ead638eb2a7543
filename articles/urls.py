"""Collector pages (under /collect/) and the link report actions of an article."""

from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("collect/", views.collect_page, name="collect"),
    path("collect/status/", views.collect_status, name="collect_status"),
    path("collect/articles/<int:pk>/", views.prepare, name="prepare"),
    path("collect/articles/<int:pk>/retry/", views.retry_fetch, name="retry_fetch"),
    path("collect/feeds/", views.feed_list, name="feeds"),
    path("collect/feeds/<int:pk>/", views.feed_edit, name="feed_edit"),
    path("collect/feeds/<int:pk>/poll/", views.feed_poll, name="feed_poll"),
    path("collect/candidates/", views.candidate_list, name="candidates"),
    path("collect/candidates/<int:pk>/collect/", views.candidate_collect, name="candidate_collect"),
    path("collect/candidates/<int:pk>/dismiss/", views.candidate_dismiss, name="candidate_dismiss"),
    path("articles/<int:pk>/links/", views.link_report, name="link_report"),
    path("articles/<int:pk>/check-links/", views.check_links, name="check_links"),
]
