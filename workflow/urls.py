from django.urls import path

from .feeds import PublishedFeed
from .views import accounts, actions, glossary, notifications, pages, quality

app_name = "workflow"

urlpatterns = [
    path("", pages.published_list, name="published_list"),
    path("feed/", PublishedFeed(), name="feed"),
    path("leaderboard/", pages.leaderboard, name="leaderboard"),
    path("people/<str:username>/", pages.contributor, name="contributor"),
    path("available/", pages.available_list, name="available"),
    path("my-work/", pages.my_work, name="my_work"),
    path("review/", pages.review_queue, name="review_queue"),
    path("articles/<int:pk>/", pages.article_detail, name="article_detail"),
    path("articles/<int:pk>/translate/", pages.translate, name="translate"),
    path("articles/<int:pk>/review/", pages.review, name="review"),
    path("articles/<int:pk>/claim/", actions.claim, name="claim"),
    path("articles/<int:pk>/release/", actions.release, name="release"),
    path("articles/<int:pk>/draft/", actions.save_draft, name="save_draft"),
    path("articles/<int:pk>/submit/", actions.submit, name="submit"),
    path("articles/<int:pk>/start-review/", actions.start_review, name="start_review"),
    path("articles/<int:pk>/request-changes/", actions.request_changes, name="request_changes"),
    path("articles/<int:pk>/approve/", actions.approve, name="approve"),
    path("articles/<int:pk>/publish/", actions.publish, name="publish"),
    path("articles/<int:pk>/approve-and-publish/", actions.approve_and_publish, name="approve_and_publish"),
    path("articles/<int:pk>/withdraw/", actions.withdraw, name="withdraw"),
    path("articles/<int:pk>/restore/", actions.restore, name="restore"),
    path("articles/<int:pk>/make-available/", actions.make_available, name="make_available"),
    path("articles/<int:pk>/checks/", quality.quality_panel, name="quality_panel"),
    path("articles/<int:pk>/autofix/", quality.autofix, name="autofix"),
    path("articles/<int:pk>/source-update/", quality.source_update, name="source_update"),
    path("glossary/", glossary.glossary_list, name="glossary"),
    path("glossary/add/", glossary.glossary_add, name="glossary_add"),
    path("glossary/import/", glossary.glossary_import, name="glossary_import"),
    path("glossary/<int:pk>/edit/", glossary.glossary_edit, name="glossary_edit"),
    path("glossary/<int:pk>/delete/", glossary.glossary_delete, name="glossary_delete"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.mark_read, name="notifications_read"),
    path("notifications/preferences/", notifications.preferences, name="notification_preferences"),
]
