from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from campusdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_done.html"),
        name="password_done",
    ),
    path("language/", views.set_language, name="set_language"),
    path("settings/", views.settings_page, name="settings"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
